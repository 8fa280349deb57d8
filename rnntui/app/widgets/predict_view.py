"""Predict: type a prefix, see the prediction and the hidden state change with every keystroke."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Key
from textual.reactive import reactive, var
from textual.widgets import Input, Label, Static

from rnntui.app.messages import PredictRequested
from rnntui.app.plain import assemble, line
from rnntui.app.predict_state import PredictState
from rnntui.app.state import Phase, TrainingState
from rnntui.app.widgets.attention_text import attention_text
from rnntui.app.widgets.fitted import Fitted
from rnntui.app.widgets.form import Choice, PredictInput
from rnntui.app.widgets.heat_layout import heat_rows
from rnntui.app.widgets.heatmap import Heatmap
from rnntui.app.widgets.neuron_hunt import HuntsUnits
from rnntui.app.widgets.note import Note
from rnntui.app.widgets.predict_text import QUANTITY_NAMES, HuntOutcome, continuation_text, output_text
from rnntui.app.widgets.saliency_line import Looked, SaliencyLine
from rnntui.app.widgets.state_map import ShowsStateMap, StateMapPanel
from rnntui.app.widgets.view_focus import RestylesItselfOnFocus
from rnntui.core.outputs import NextToken
from rnntui.core.trace_table import TraceTable

if TYPE_CHECKING:
    from rnntui.core.predictor_protocol import PredictionView

MAX_INPUT = 100_000
ATTENTION_TITLE = "attention: rows written, columns read"
LOADING = Text("the network is loading: Predict starts when it is ready", style="dim")
TALL = 36  # rows of the view from which it shows the top 10 (else 5) and longer continuations


class PredictView(RestylesItselfOnFocus, ShowsStateMap, HuntsUnits, Vertical, can_focus=True):
    BINDINGS = [
        Binding("pageup", "scroll_heatmap(-1)", "scroll", show=False, tooltip="scroll the heatmap up"),
        Binding("pagedown", "scroll_heatmap(1)", "scroll", show=False, tooltip="scroll the heatmap down"),
    ]
    FOCUS_ORDER = (
        "fields, with tab or ↓: prefix, layer, quantity, neuron hunt (enter ranks units), unit; typing with no "
        "field focused goes to the prefix"
    )

    def compose(self) -> ComposeResult:
        with Horizontal(id="prefix-row", classes="field"):
            yield Label("prefix", classes="field-label")
            yield PredictInput(placeholder="type a prefix…", id="prefix", max_length=MAX_INPUT)
        yield SaliencyLine(id="saliency")
        yield Static(LOADING, id="predict-hint")
        yield Note(id="predict-notice")
        with Horizontal(id="predict-top"):
            yield Fitted("", id="prediction")
            yield Fitted("", id="continuation")
        with Horizontal(id="heat-controls"):
            yield Choice([("layer 1", "0,0")], id="layer")
            yield Choice([("hidden h", "hidden")], id="quantity")
            yield PredictInput(placeholder="hunt: regex, e.g. [AEIOU]", id="hunt")
            yield PredictInput(placeholder="unit #", id="unit", type="integer")
        yield Note(id="hunt-result")
        yield Note(id="coloured")
        with Vertical(id="heat-box"):
            yield Heatmap(id="heatmap")
        yield StateMapPanel(id="state-map")  # in the heatmap's place after m (state_map.py)

    def on_key(self, event: Key) -> None:
        """Typing with no field focused goes to the prefix (keys bound to something still do it),
        and so does backspace: it deletes the last character typed."""
        if self.app.focused is not self or event.key in self.screen.active_bindings or not self.ready:
            return
        prefix = self.query_one("#prefix", Input)
        if event.is_printable:
            prefix.focus()
            prefix.insert_text_at_cursor(event.character or "")
            event.stop()
        elif event.key == "backspace":
            prefix.focus()
            prefix.action_delete_left()
            event.stop()

    def action_scroll_heatmap(self, pages: int) -> None:
        heatmap = self.query_one(Heatmap)
        heatmap.scroll_rows(pages * max(1, heatmap.visible_rows - 1))

    training: reactive[TrainingState] = var(TrainingState(), always_update=True)
    predicting: reactive[PredictState] = var(PredictState, always_update=True)

    def on_mount(self) -> None:
        self.prediction: PredictionView | None = None
        self.table = TraceTable((), (), 0)
        self.unit: int | None = None
        self.partial = False  # the prediction's continuation, saliency and map are still to come
        self.hunt_outcome: HuntOutcome | None = None
        self.ready = False  # the predictor has a network
        self._lesson = -1
        self._hunt_generation = 0  # a match result for an older hunt is dropped
        self._hunt_waits = False  # a hunt asked for before the prediction of the current text arrived
        self._top_k = 5

    # ---- from the app ------------------------------------------------------------------------
    def watch_training(self, old: TrainingState, new: TrainingState) -> None:
        if new.spec is not None and new.phase is not Phase.BUILDING and new.lesson != self._lesson:
            self._lesson = new.lesson
            self.start_over(new.spec.example)

    def watch_predicting(self, old: PredictState, new: PredictState) -> None:
        """What the predictor said, folded into the App's PredictState."""
        if new.loaded is not None and new.loaded is not old.loaded:
            # (how to leave a field is in the key bar while one has focus: here it went stale)
            self.query_one("#predict-hint", Static).update(assemble((new.loaded.hint, "dim")))
            self.query_one("#layer", Choice).set_options(new.loaded.layers)
            self.query_one("#quantity", Choice).set_options(new.loaded.quantities)
            self.ready = True
            self.request_prediction()
        if new.failure is not None and new.failure != old.failure:
            self.query_one("#predict-notice", Note).update(assemble(("could not predict: ", "bold"), new.failure))
        latest = new.latest
        if latest is not None and latest is not old.latest and latest.prefix == self.query_one("#prefix", Input).value:
            # (an answer for a prefix typed over since is dropped: a newer one is on its way)
            # The second answer for a prefix adds only the slow parts: what the first drew stays
            # (drawn again, its unchanged cells went down the wire again: ~2x the bytes while training).
            rest_only = old.latest is not None and old.latest.partial and old.latest.prefix == latest.prefix
            self.prediction, self.table, self.partial = latest.prediction, latest.table, latest.partial
            if rest_only and not latest.partial:
                # After the frame that shows the output: both answers can arrive before that frame
                # (the predictor computes the rest in a process of its own, on another core), and
                # drawing the rest first would hold it back.
                self.call_after_refresh(self._rest_if_whole)
            else:
                self.redraw()
            if self._hunt_waits:
                self.run_hunt()

    def start_over(self, example: str) -> None:
        """A new lesson: its example in the prefix; the last lesson's hunt and unit go."""
        self._hunt_generation += 1
        self.hunt_outcome = None
        self.unit = None
        self.prediction = None
        self.table = TraceTable((), (), 0)
        self.ready = False
        self.query_one("#predict-hint", Static).update(LOADING)
        prefix = self.query_one("#prefix", Input)
        prefix.value = example
        prefix.cursor_position = len(example)  # typing goes on after the example, not inside it
        self.query_one("#hunt", Input).value = ""
        self.query_one("#unit", Input).value = ""
        self.query_one("#hunt-result", Note).update("")
        self.query_one("#coloured", Note).update("")
        self.query_one(SaliencyLine).show(None)

    # ---- events ------------------------------------------------------------------------------
    @on(Input.Changed, "#prefix")
    def _prefix_changed(self) -> None:
        self.request_prediction()

    @on(Choice.Changed, "#layer")
    @on(Choice.Changed, "#quantity")
    def _heat_changed(self) -> None:
        self.render_heatmap()

    def layer_direction(self) -> tuple[int, int]:
        value = self.query_one("#layer", Choice).value
        layer, _, direction = value.partition(",")
        return (int(layer), int(direction)) if layer.isdigit() and direction.isdigit() else (0, 0)

    # ---- drawing -----------------------------------------------------------------------------
    def request_prediction(self) -> None:
        """Ask for the prefix's prediction (the predictor answers; a tall terminal shows more)."""
        if self.ready:
            prefix = self.query_one("#prefix", Input).value
            self._top_k = self.top_k()
            self.post_message(PredictRequested(prefix, self._top_k, self.has_class("-map")))

    def top_k(self) -> int:
        return 10 if self.size.height >= TALL else 5

    def on_resize(self) -> None:
        """A taller or shorter terminal: as many candidates as fit, and the text laid out again."""
        if self.ready and self.top_k() != self._top_k:
            self.request_prediction()
        else:
            self.redraw()

    def redraw(self) -> None:
        pred = self.prediction
        if pred is None:
            return
        self.query_one("#predict-notice", Note).update(line(pred.notice) if pred.notice else "")
        self.query_one("#prediction", Static).update(output_text(pred))
        self.render_heatmap()
        self.render_coloured()
        if not self.partial:  # else the rest follows in a moment: the last prefix's stays until then
            self.redraw_rest()

    def _rest_if_whole(self) -> None:
        if not self.partial:  # (a newer key's first answer came meanwhile: its rest follows it)
            self.redraw_rest()

    def redraw_rest(self) -> None:
        """What the prediction's second answer brings: the looks-at line, the continuation, the map."""
        pred = self.prediction
        if pred is None:
            return
        sal = self.table.saliency
        self.query_one(SaliencyLine).show(None if sal is None else Looked(pred.prefix, self.table.spans, sal))
        cont = self.query_one("#continuation", Static)
        out = pred.output
        if isinstance(out, NextToken) and (out.continuation or out.sampled):
            lines = 2 if self.size.height < TALL else 4
            width = cont.content_size.width or max(20, self.content_size.width - 46)
            cont.update(continuation_text(pred.prefix, out.continuation, out.sampled, width, lines))
        else:
            cont.update("")
        self.render_map()

    def render_heatmap(self) -> None:
        if self.prediction is None:
            return
        layer, direction = self.layer_direction()
        what = self.query_one("#quantity", Choice).value
        what = what if isinstance(what, str) else "hidden"
        table = self.table
        width = self.query_one("#heat-box").content_size.width or self.content_size.width or 78
        if what == "attention":
            shown = attention_text(table.attention, table.tokens, table.written, width, ATTENTION_TITLE)
            self.query_one(Heatmap).show_text(shown)
            return
        signed = what in ("hidden", "cell", "g", "n")
        title = f"{QUANTITY_NAMES.get(what, what)} · {self.query_one('#layer', Choice).label}"
        rows, tokens = table.rows(what, layer, direction), table.tokens[table.first :]
        self.query_one(Heatmap).show(
            heat_rows(rows, tokens, width=width, signed=signed, highlight=self.unit, title=title, skipped=table.first)
        )
