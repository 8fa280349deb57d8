from __future__ import annotations

import pytest
import torch

from rnntui.core.errors import HuntError
from rnntui.core.hunt import hunt, match_targets, rank_units
from rnntui.core.outputs import NextToken
from rnntui.core.prediction import Prediction, StepView
from rnntui.core.tasks.data import Token
from test_predictor import LM


def fake_prediction(text: str, unit_values: list[float]) -> Prediction:
    steps = []
    for i, ch in enumerate(text):
        hidden = torch.randn(1, 1, 8, generator=torch.Generator().manual_seed(i)) * 0.1
        hidden[0, 0, 5] = unit_values[i]
        steps.append(StepView(Token(ch, i, i + 1), hidden, None, {}))
    return Prediction(prefix=text, tokens=[s.token for s in steps], window_start=0, output=NextToken(()), steps=steps)


def test_the_unit_that_tracks_the_matches_ranks_first():
    text = "ab(cd)ef(g)h"
    inside = [0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0]
    pred = fake_prediction(text, [-v * 2.0 for v in inside])
    targets = match_targets(pred, text, r"\([^)]*\)")
    assert targets.tolist() == inside
    best = rank_units(pred, targets, top=3)[0]
    assert (best.layer, best.direction, best.unit) == (0, 0, 5)
    assert best.score == pytest.approx(-1.0)
    colours = pred.table().unit_per_char(len(text), 0, 0, 5)  # what the Predict view colours the text by
    assert colours is not None and colours[2] == -2.0 and colours[0] == 0.0
    assert pred.table().unit_per_char(len(text), 0, 0, 8) is None  # not a unit of this layer


def test_bad_regex_and_constant_targets_are_explained():
    with pytest.raises(HuntError, match="invalid"):
        hunt(LM, "HELLO", "(")
    with pytest.raises(HuntError, match="matches nothing"):
        hunt(LM, "HELLO", "Z")
    units, _ = hunt(LM, "HELLO WORLD", "O", top=4)
    assert len(units) == 4 and all(-1 <= u.score <= 1 for u in units)
