"""Help: the keys, and the lesson of the loaded preset."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from rnntui.app.plain import assemble, line

KEYS = """[b]Keys[/b]
  1 2 3 4      Build · Train · Predict · Runs views
  in Runs      enter selects runs to overlay · d deletes (asks first) · o opens in Predict
  p            presets menu (enter loads, esc closes)
  space        start / pause training
  s            one training step
  r            reset the weights (same seed)
  g            gradient norm: total ↔ per layer
  esc          leave a text input (so the keys above work again)
  ctrl+p       command palette: every action, "Load preset: NAME"
  ?            this help
  q            quit (training stops and the run is saved)
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "close"),
        Binding("question_mark", "close", "close", show=False),
        Binding("q", "close", "close", show=False),
    ]

    def __init__(self, title: str, lesson: str) -> None:
        super().__init__()
        self.title_text, self.lesson = title, lesson

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog"):
            yield Static(KEYS)
            if self.lesson:
                yield Static(assemble(("Lesson: ", "bold"), line(self.title_text, "bold"), "\n", self.lesson))
            yield Static("[dim]esc to close[/dim]")

    def action_close(self) -> None:
        self.dismiss(None)
