"""Predict's neuron hunt: units ranked against a regex's matches by the predictor's process (the
regex with a time limit, core/hunt.py), and the typed text coloured by the chosen unit."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.widget import Widget
from textual.widgets import Input

from rnntui.app.messages import HuntRequested
from rnntui.app.plain import assemble, line
from rnntui.app.widgets.form import Choice
from rnntui.app.widgets.heat_layout import coloured_prefix
from rnntui.app.widgets.note import Note
from rnntui.app.widgets.predict_text import HuntOutcome, hunt_text
from rnntui.core.predictor_protocol import Hunted, PredictionView
from rnntui.core.trace_table import TraceTable


class HuntsUnits(Widget):
    """The view's #hunt field (enter ranks), #unit field, #hunt-result and #coloured notes."""

    prediction: PredictionView | None
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

    # ---- neuron hunt: matched and ranked by the predictor, the regex with a time limit ---------------
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
        self.post_message(HuntRequested(pred.prefix, pattern, self._hunt_generation))

    def ranked(self, m: Hunted) -> None:
        """The predictor's answer to a hunt (the App hands it over)."""
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
