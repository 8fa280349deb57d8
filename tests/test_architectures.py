"""The whole architecture space: every cell × direction × depth × pattern trains a step or is refused."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from helpers import PATTERN_TASKS, tiny
from rnntui.core.spec import CELLS, SpecError, validate
from rnntui.core.trainer import Trainer

CASES = [
    (pattern, task, params, cell, bi, layers)
    for pattern, tasks in PATTERN_TASKS.items()
    for (task, params) in tasks
    for cell, bi, layers in itertools.product(CELLS, (False, True), (1, 2, 3))
]


@pytest.mark.parametrize(("pattern", "task", "params", "cell", "bi", "layers"), CASES)
def test_one_step_or_refusal(pattern, task, params, cell, bi, layers):
    spec = tiny(task, params, pattern=pattern, cell=cell, bidirectional=bi, num_layers=layers)
    try:
        validate(spec)
    except SpecError as exc:
        # Only the combinations that make no sense are refused, and each says why.
        assert bi and (task == "char_lm" or pattern == "one_to_many"), exc
        assert "bidirectional" in str(exc)
        return
    trainer = Trainer(spec)
    before = [p.detach().clone() for p in trainer.model.parameters()]
    trainer.step()
    assert trainer.step_count == 1
    assert trainer.last_loss is not None and math.isfinite(trainer.last_loss)
    assert all(p.grad is None or torch.isfinite(p.grad).all() for p in trainer.model.parameters())
    changed = any(not torch.equal(a, b.detach()) for a, b in zip(before, trainer.model.parameters(), strict=True))
    assert changed, "the optimizer step must change the weights"


def test_bidirectional_language_model_is_refused():
    with pytest.raises(SpecError, match="see the token it must predict"):
        validate(tiny("char_lm", {"seq_len": 12}, bidirectional=True))
