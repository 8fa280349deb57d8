"""How Predict words what a network produced (issue 13): an untrained decoder that ends at once is
not told to "type the input" it was given."""

from __future__ import annotations

from rnntui.app.widgets.predict_text import output_text
from rnntui.core.outputs import Translated
from rnntui.core.predictor_protocol import PredictionView


def decoded(tokens: tuple[str, ...], typed: str) -> str:
    words = tuple(typed.split())
    return output_text(PredictionView(typed, words, Translated(tokens), fed=len(words))).plain


def test_a_decoder_that_ends_at_once_says_so() -> None:
    assert "type the input" in decoded((), "")
    shown = decoded((), "the cat")
    assert "type the input" not in shown and "</s>" in shown
    assert "el gato" in decoded(("el", "gato"), "the cat")
