"""Predict: type a prefix, see the prediction and the hidden state change with every keystroke."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Key
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Label, Static

from rnntui.app.messages import Predicted, PredictFailed, PredictorLoaded, PredictRequested
from rnntui.app.plain import assemble, line
from rnntui.app.state import Phase, TrainingState
from rnntui.app.widgets.form import Choice, PredictInput
from rnntui.app.widgets.heatmap import Heatmap, coloured_prefix, heat_text
from rnntui.app.widgets.note import Note
from rnntui.app.widgets.predict_text import QUANTITY_NAMES, HuntOutcome, continuation_text, hunt_text, output_text
from rnntui.app.widgets.view_focus import RestylesItselfOnFocus
from rnntui.core.errors import HuntError
from rnntui.core.labels import layer_label

if TYPE_CHECKING:  # torch-side modules: importing them here would import torch on the UI thread
    from rnntui.core.hunt import Unit
    from rnntui.core.predictor import Prediction

MAX_INPUT = 100_000
LOADING = Text("the network is loading: Predict starts when it is ready", style="dim")
TALL = 36  # rows of the view from which it shows the top 10 (else 5) and longer continuations


class PredictView(RestylesItselfOnFocus, Vertical, can_focus=True):
    @dataclass
    class Matched(Message):
        """A worker ranked the units against the hunt's regex, or could not (`error`)."""

        generation: int
        text: str
        pattern: str
        units: tuple[Unit, ...]
        error: str | None

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
        yield Static(LOADING, id="predict-hint")
        yield Note(id="predict-notice")
        with Horizontal(id="predict-top"):
            yield Static("", id="prediction")
            yield Static("", id="continuation")
        with Horizontal(id="heat-controls"):
            yield Choice([("layer 1", "0,0")], id="layer")
            yield Choice([("hidden h", "hidden")], id="quantity")
            yield PredictInput(placeholder="hunt: regex, e.g. [AEIOU]", id="hunt")
            yield PredictInput(placeholder="unit #", id="unit", type="integer")
        yield Note(id="hunt-result")
        yield Note(id="coloured")
        with VerticalScroll(id="heat-box", can_focus=False):
            yield Heatmap("", id="heatmap")

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
        box = self.query_one("#heat-box", VerticalScroll)
        box.scroll_to(y=box.scroll_y + pages * max(1, box.size.height - 1), animate=False)

    training: reactive[TrainingState] = reactive(TrainingState(), always_update=True)

    def on_mount(self) -> None:
        self.prediction: Prediction | None = None
        self.unit: int | None = None
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

    def show_prediction(self, message: PredictorLoaded | Predicted | PredictFailed) -> None:
        """What the predictor thread answered (the App hands it over)."""
        if isinstance(message, PredictorLoaded):
            # (how to leave a field is in the key bar while one has focus: here it went stale)
            self.query_one("#predict-hint", Static).update(assemble((message.hint, "dim")))
            self.query_one("#layer", Choice).set_options(message.layers)
            self.query_one("#quantity", Choice).set_options(message.quantities)
            self.ready = True
            self.request_prediction()
        elif isinstance(message, PredictFailed):
            self.query_one("#predict-notice", Note).update(assemble(("could not predict: ", "bold"), message.reason))
        elif message.prefix == self.query_one("#prefix", Input).value:  # not a prefix typed over since
            self.prediction = message.prediction
            self.redraw()
            if self._hunt_waits:
                self.run_hunt()

    def start_over(self, example: str) -> None:
        """A new lesson: its example in the prefix; the last lesson's hunt and unit go."""
        self._hunt_generation += 1
        self.hunt_outcome = None
        self.unit = None
        self.prediction = None
        self.ready = False
        self.query_one("#predict-hint", Static).update(LOADING)
        prefix = self.query_one("#prefix", Input)
        prefix.value = example
        prefix.cursor_position = len(example)  # typing goes on after the example, not inside it
        self.query_one("#hunt", Input).value = ""
        self.query_one("#unit", Input).value = ""
        self.query_one("#hunt-result", Note).update("")
        self.query_one("#coloured", Note).update("")

    # ---- events ------------------------------------------------------------------------------
    @on(Input.Changed, "#prefix")
    def _prefix_changed(self) -> None:
        self.request_prediction()

    @on(Choice.Changed, "#layer")
    @on(Choice.Changed, "#quantity")
    def _heat_changed(self) -> None:
        self.render_heatmap()

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

    def layer_direction(self) -> tuple[int, int]:
        value = self.query_one("#layer", Choice).value
        layer, _, direction = value.partition(",")
        return (int(layer), int(direction)) if layer.isdigit() and direction.isdigit() else (0, 0)

    # ---- drawing -----------------------------------------------------------------------------
    def request_prediction(self) -> None:
        """Ask for the prefix's prediction (the predictor thread answers; a tall terminal shows more)."""
        if self.ready:
            prefix = self.query_one("#prefix", Input).value
            self._top_k = self.top_k()
            self.post_message(PredictRequested(prefix, self._top_k))

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
        cont = self.query_one("#continuation", Static)
        if pred.kind == "lm" and (pred.continuation or pred.sampled):
            lines = 2 if self.size.height < TALL else 4
            width = cont.content_size.width or max(20, self.content_size.width - 46)
            cont.update(continuation_text(pred.prefix, pred.continuation, pred.sampled, width, lines))
        else:
            cont.update("")
        self.render_heatmap()
        self.render_coloured()

    def render_heatmap(self) -> None:
        pred = self.prediction
        if pred is None:
            return
        layer, direction = self.layer_direction()
        what = self.query_one("#quantity", Choice).value
        what = what if isinstance(what, str) else "hidden"
        mat = pred.matrix(what, layer, direction)
        rows = mat.tolist() if mat.numel() else []
        tokens = [s.token.text for s in pred.steps]
        signed = what in ("hidden", "cell", "g", "n")
        title = f"{QUANTITY_NAMES.get(what, what)} · {layer_label(layer, direction)}"
        width = self.query_one("#heat-box").content_size.width or self.content_size.width or 78
        self.query_one(Heatmap).update(
            heat_text(rows, tokens, width=width, signed=signed, highlight=self.unit, title=title)
        )

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
        from rnntui.core.hunt import unit_activation_per_char

        target = self.query_one("#coloured", Note)
        pred = self.prediction
        if pred is None or self.unit is None:
            target.update("")
            return
        layer, direction = self.layer_direction()
        hidden = pred.steps[0].hidden if pred.steps else None
        if hidden is None or not 0 <= self.unit < hidden.shape[-1]:
            target.update(Text(f"unit {self.unit} is not in this layer", style="dim"))
            return
        prefix = pred.prefix[-2000:]
        offset = len(pred.prefix) - len(prefix)
        values = unit_activation_per_char(pred, pred.prefix, layer, direction, self.unit)[offset:]
        target.update(Text.assemble((f"unit {self.unit}: ", "bold"), coloured_prefix(prefix, values)))
