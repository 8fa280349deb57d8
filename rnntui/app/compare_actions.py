"""c: train the loaded network once per variant of one axis (same seed); the Runs view overlays
them as they train, each in a process of its own (app/comparison.py)."""

from __future__ import annotations

from textual import on

from rnntui.app.app_base import AppBase
from rnntui.app.comparison import Comparison
from rnntui.app.messages import CompareReplied
from rnntui.app.state import Phase
from rnntui.core import trainer_protocol as p


class CompareActions(AppBase):
    def action_compare(self) -> None:
        """Choose what to vary (a second c while it trains stops it)."""
        if self.comparison is not None and self.compare_state is not None and not self.compare_state.done:
            self.comparison.stop()
            return
        spec = self.training.spec
        if spec is None or self.training.phase in (Phase.BLOCKED, Phase.LOADING, Phase.BUILDING):
            self.notify("cannot compare: " + (self.training.form_error or "still loading"))  # a key refused
            return
        from rnntui.app.widgets.compare_screen import CompareScreen

        self.push_screen(CompareScreen(spec), self._compare_chosen)

    def _compare_chosen(self, vary: str | None) -> None:
        from rnntui.core.compare import parse_vary, variants
        from rnntui.core.errors import SpecError

        spec = self.training.spec
        if not vary or spec is None:
            return
        try:
            items = variants(spec, parse_vary(vary))
        except SpecError as exc:
            self.notify(f"cannot compare: {exc}", timeout=8)
            return
        if self.training.phase.in_run:
            self.link.request(p.Stop())
        self.comparison = Comparison([(v.label, v.spec) for v in items], self.runs_dir, self.post_message)
        self.compare_state = self.comparison.first()
        self.action_view("runs")

    @on(CompareReplied)
    def _compare_replied(self, message: CompareReplied) -> None:
        if self.comparison is not None and self.compare_state is not None:
            self.compare_state = self.comparison.received(self.compare_state, message)
