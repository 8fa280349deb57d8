"""The torch core: specs, tasks, model, trace, trainer, predictor, runs. No UI imports here."""
