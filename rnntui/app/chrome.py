"""The app's chrome: the top bar (view tabs, preset, device), the status line (what the app is
doing, or a passing notice) and Build's note on the form (why it cannot train, an edit that waits).
Pure functions of what they show; preset names, notices and errors are data."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from rnntui.app.plain import Part, assemble, line
from rnntui.app.state import Phase, TrainingState

VIEWS = (("build", "1 Build"), ("train", "2 Train"), ("predict", "3 Predict"), ("runs", "4 Runs"))


def same_text(a: object, b: Text) -> bool:
    """`a` draws as `b`: the same characters, styles and wrapping (Text's == leaves out the last two)."""
    return (
        isinstance(a, Text)
        and a == b
        and (a.style, a.no_wrap, a.overflow, a.justify) == (b.style, b.no_wrap, b.overflow, b.justify)
    )


def show(widget: Static, text: Text, *, layout: bool = False) -> bool:
    """Put `text` in `widget` unless it shows that already; True when it changed. Static.update
    repaints every cell of the widget, and Textual sends a repainted region whole, changed or not:
    the status line and the top bar were sent again at each of ~4 state changes a second."""
    if same_text(widget.content, text):
        return False
    widget.update(text, layout=layout)
    return True


def topbar_text(current: str | None, device: str, preset: str) -> Text:
    """The top bar: view tabs, then the preset and the device (the preset's name is data)."""
    parts: list[Part] = [("rnntui", "bold"), " "]
    for vid, label in VIEWS:
        parts += [(f" {label} ", "reverse" if vid == current else ""), " "]
    parts += ["  ", line(preset, "bold"), " · ", line(device)]
    text = assemble(*parts)
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


def status_text(status: str, notice: bool = False, wrap: bool = False) -> Text:
    """The status line: what the app is doing and what to press next, or a passing notice (either
    may quote data). One row, cut with an ellipsis; an error `wrap`s (the status grows to show it)."""
    text = line(status, "bold" if notice else "")
    text.no_wrap, text.overflow = not wrap, "fold" if wrap else "ellipsis"
    return text


def build_note(state: TrainingState) -> tuple[Text, str]:
    """Build's note beside the form, and its class: why the form's network cannot train (-error), or
    that an edit waits for the run to pause (-pending); empty when there is nothing to say."""
    if state.form_error:
        after = "the run goes on; fix it before the next one" if state.phase.in_run else "fix it to start training"
        return assemble(("cannot train: ", "bold"), state.form_error, "\n", after), "-error"
    if state.phase is Phase.FAILED and state.error:
        return assemble(
            ("cannot build this network: ", "bold"), state.error, "\nchange a setting to try another"
        ), "-error"
    if state.pending is not None:
        waits = "it applies when you pause (space): a new network, this run saved · r applies it now"
        return assemble(("edit waiting: ", "bold"), waits), "-pending"
    return Text(""), ""
