from __future__ import annotations

import pytest

from rnntui.core.spec import ExperimentSpec, ModelSpec, SpecError, TaskSpec, apply_overrides, validate


def base() -> ExperimentSpec:
    return ExperimentSpec(task=TaskSpec("char_lm", {"corpus": "hello"}))


def test_overrides_are_typed():
    spec = apply_overrides(
        base(),
        [
            "model.num_layers=2",
            "train.clip_norm=0.5",
            "model.bidirectional=false",
            "train.tbptt=none",
            "task.seq_len=16",
            "model.cell=gru",
        ],
    )
    assert spec.model.num_layers == 2 and isinstance(spec.model.num_layers, int)
    assert spec.train.clip_norm == 0.5
    assert spec.model.bidirectional is False
    assert spec.train.tbptt is None
    assert spec.task.params["seq_len"] == 16
    assert spec.model.cell == "gru"


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ("model.colour=red", "valid keys:"),
        ("model.num_layers=two", "whole number"),
        ("train.lr=fast", "must be a number"),
        ("nonsense", "section.key=value"),
        ("brain.size=3", "unknown section"),
        ("task.wings=2", "valid keys:"),
    ],
)
def test_bad_overrides_explain_themselves(override, needle):
    with pytest.raises(SpecError, match=needle):
        apply_overrides(base(), [override])


def test_unknown_key_lists_valid_ones():
    with pytest.raises(SpecError) as info:
        apply_overrides(base(), ["model.cells=lstm"])
    assert "cell" in str(info.value) and "hidden_size" in str(info.value)


@pytest.mark.parametrize(
    ("model", "needle"),
    [
        (ModelSpec(bidirectional=True), "would see the token it must predict"),
        (ModelSpec(num_layers=5), "1–4"),
        (ModelSpec(dropout=0.3, num_layers=1), "between stacked layers"),
        (ModelSpec(pattern="many_to_one"), "needs the many→many pattern"),
        (ModelSpec(cell="transformer"), "not a cell"),
    ],
)
def test_validate_refuses_with_reason(model, needle):
    spec = ExperimentSpec(task=TaskSpec("char_lm", {"corpus": "hello"}), model=model)
    with pytest.raises(SpecError, match=needle):
        validate(spec)


def test_bidirectional_generator_refused():
    spec = ExperimentSpec(task=TaskSpec("spell_number"), model=ModelSpec(pattern="one_to_many", bidirectional=True))
    with pytest.raises(SpecError, match="cannot drive a one-to-many generator"):
        validate(spec)
