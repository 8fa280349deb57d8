"""How Predict words what a network produced (issue 13): an untrained decoder that ends at once is
not told to "type the input" it was given."""

from __future__ import annotations

import torch

from rnntui.app.widgets.predict_text import output_text
from rnntui.core.outputs import Translated
from rnntui.core.prediction import Prediction, StepView
from rnntui.core.tasks.data import Token


def decoded(tokens: tuple[str, ...], typed: str) -> str:
    steps = [StepView(Token(w, 0, 1), torch.zeros(1, 1, 2), None, {}) for w in typed.split()]
    pred = Prediction(typed, [s.token for s in steps], 0, Translated(tokens), steps)
    return output_text(pred).plain


def test_a_decoder_that_ends_at_once_says_so() -> None:
    assert "type the input" in decoded((), "")
    shown = decoded((), "the cat")
    assert "type the input" not in shown and "</s>" in shown
    assert "el gato" in decoded(("el", "gato"), "the cat")
