"""Small specs for fast tests."""

from __future__ import annotations

from rnntui.core.spec import ExperimentSpec, ModelSpec, TaskSpec, TrainSpec

PATTERN_TASKS = {
    "many_to_many": [("char_lm", {"seq_len": 12}), ("pos_tagging", {"sentences": 300})],
    "many_to_one": [("sentiment", {}), ("adding", {"seq_len": 12})],
    "one_to_many": [("spell_number", {})],
    "encoder_decoder": [("translate", {"train_pairs": 400})],
}


def tiny(task: str, params: dict | None = None, **model) -> ExperimentSpec:
    model.setdefault("hidden_size", 8)
    model.setdefault("embedding_dim", 6)
    return ExperimentSpec(
        name="tiny",
        task=TaskSpec(task, params or {}),
        model=ModelSpec(**model),
        train=TrainSpec(steps=5, batch_size=4, device="cpu", eval_every=1000),
    )
