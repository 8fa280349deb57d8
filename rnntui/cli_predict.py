"""`rnntui predict` and `rnntui hunt`: a trained run read by a prefix (torch is imported inside)."""

from __future__ import annotations

import argparse

from rnntui.cli_common import UserError, emit_json

MIN_TEMPERATURE, MAX_TEMPERATURE = 0.01, 100.0  # outside, softmax(logits / T) is inf or nan in float32


def cmd_predict(args: argparse.Namespace) -> int:
    from rnntui.core.experiment import from_checkpoint
    from rnntui.core.predictor import Predictor
    from rnntui.core.saliency import saliency_json

    if args.top < 1:
        raise UserError("--top must be 1 or more")
    if args.generate < 0 or args.generate > 10_000:
        raise UserError("--generate must be between 0 and 10000")
    if not (MIN_TEMPERATURE <= args.temperature <= MAX_TEMPERATURE):  # also refuses nan
        raise UserError(f"--temperature must be between {MIN_TEMPERATURE:g} and {MAX_TEMPERATURE:g}")
    if not 0 <= args.seed <= 2**64 - 1:
        raise UserError("--seed must be between 0 and 2**64 - 1")
    spec, task, model = from_checkpoint(args.run_dir)
    predictor = Predictor(model, task, top_k=args.top)
    pred = predictor.feed(args.prefix, generate=args.generate, temperature=args.temperature, seed=args.seed)
    sal = predictor.saliency(args.prefix) if args.saliency else None
    if args.json:
        out = pred.to_json(trace=args.trace) | (saliency_json(sal, pred.window_start) if sal else {})
        if args.trace:  # the map of the hidden state, fitted on the run's validation states
            from rnntui.core.state_map import map_json

            out |= map_json(task, spec.train.batch_size, model, pred)
        emit_json(out)
        return 0
    from rnntui.headless import print_prediction

    print_prediction(pred, sal)
    return 0


def cmd_hunt(args: argparse.Namespace) -> int:
    from rnntui.core.experiment import from_checkpoint
    from rnntui.core.hunt import hunt
    from rnntui.core.predictor import Predictor

    _, task, model = from_checkpoint(args.run_dir)
    units, _ = hunt(Predictor(model, task), args.text, args.regex, top=max(1, args.top))
    if args.json:
        emit_json(
            {
                "text": args.text,
                "regex": args.regex,
                # Layers counted from 1, as everywhere a person reads them ("layer 1 unit 5").
                "units": [
                    {
                        "layer": u.layer + 1,
                        "direction": "backward" if u.direction else "forward",
                        "unit": u.unit,
                        "score": u.score,
                    }
                    for u in units
                ],
            }
        )
    else:
        for u in units:
            print(f"{u.label():<24} r = {u.score:+.3f}")
    return 0
