"""Predict's neuron hunt: units ranked against a regex's matches in a worker thread (the regex with a
time limit, core/hunt.py), and the typed text coloured by the chosen unit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input

from rnntui.app.plain import assemble, line
from rnntui.app.widgets.form import Choice
from rnntui.app.widgets.heat_layout import coloured_prefix
from rnntui.app.widgets.note import Note
from rnntui.app.widgets.predict_text import HuntOutcome, hunt_text
from rnntui.core.errors import HuntError
from rnntui.core.trace_table import TraceTable

if TYPE_CHECKING:  # torch-side modules: importing them here would import torch on the UI thread
    from rnntui.core.hunt import Unit
    from rnntui.core.predictor import Prediction


class HuntsUnits(Widget):
    """The view's #hunt field (enter ranks), #unit field, #hunt-result and #coloured notes."""

    @dataclass
    class Matched(Message):
        """A worker ranked the units against the hunt's regex, or could not (`error`)."""

        generation: int
        text: str
        pattern: str
        units: tuple[Unit, ...]
        error: str | None

    prediction: Prediction | None
    table: TraceTable
    ready: bool
    unit: int | None
    hunt_outcome: HuntOutcome | None
    _hunt_generation: int
    _hunt_waits: bool

    def layer_direction(self) -> tuple[int, int]:
        raise NotImplementedError

    def redraw(self) -> None:
        raise NotImplementedError

    def render_heatmap(self) -> None:
        raise NotImplementedError

    @on(Input.Submitted, "#hunt")
    def _hunt(self) -> None:
        self.run_hunt()

    @on(Input.Changed, "#unit")
    def _unit_changed(self, event: Input.Changed) -> None:
        try:
            self.unit = int(event.value) if event.value.strip() else None
        except ValueError:
            self.unit = None
        self.render_heatmap()
        self.render_coloured()

    # ---- neuron hunt: matched and ranked in a worker thread, the regex with a time limit -----------
    def run_hunt(self) -> None:
        pattern = self.query_one("#hunt", Input).value
        out = self.query_one("#hunt-result", Note)
        self._hunt_generation += 1
        pred = self.prediction
        if not pattern or not self.ready:
            out.update("type a regex and press enter: units whose activation follows its matches are ranked")
            return
        out.update(assemble("neuron hunt: matching ", line(pattern), "…"))
        if pred is None or pred.prefix != self.query_one("#prefix", Input).value:
            self._hunt_waits = True  # for the prediction of the text as it is now: it runs when that arrives
            return
        self._hunt_waits = False
        self._rank(self._hunt_generation, pred, pattern)

    @work(thread=True, exclusive=True, group="hunt", exit_on_error=False)
    def _rank(self, generation: int, pred: Prediction, pattern: str) -> None:
        from rnntui.core.hunt import match_spans, rank_against, targets_from_spans

        try:
            if not pred.steps:
                raise HuntError("type some text first")
            spans = match_spans(pred.prefix, pattern)
            units = rank_against(pred, pattern, targets_from_spans(pred, len(pred.prefix), spans), top=5)
            self.post_message(self.Matched(generation, pred.prefix, pattern, tuple(units), None))
        except HuntError as exc:
            self.post_message(self.Matched(generation, pred.prefix, pattern, (), str(exc)))

    @on(Matched)
    def _matched(self, m: Matched) -> None:
        if m.generation != self._hunt_generation:
            return  # a newer hunt is running
        out = self.query_one("#hunt-result", Note)
        if (m.text, m.pattern) != (self.query_one("#prefix", Input).value, self.query_one("#hunt", Input).value):
            out.update("neuron hunt: the text or the regex changed while it matched; enter ranks again")
            return
        self.hunt_outcome = HuntOutcome(m.pattern, m.units, m.error)
        if m.error is not None:
            out.update(assemble(("neuron hunt: ", "bold"), m.error))
            return
        best = m.units[0]
        self.query_one("#layer", Choice).value = f"{best.layer},{best.direction}"
        self.query_one("#unit", Input).value = str(best.unit)
        out.update(hunt_text(m.pattern, list(m.units)))
        self.redraw()

    def render_coloured(self) -> None:
        target = self.query_one("#coloured", Note)
        pred = self.prediction
        if pred is None or self.unit is None:
            target.update("")
            return
        layer, direction = self.layer_direction()
        values = self.table.unit_per_char(len(pred.prefix), layer, direction, self.unit)
        if values is None:
            target.update(Text(f"unit {self.unit} is not in this layer", style="dim"))
            return
        prefix = pred.prefix[-2000:]
        offset = len(pred.prefix) - len(prefix)
        target.update(Text.assemble((f"unit {self.unit}: ", "bold"), coloured_prefix(prefix, values[offset:])))
