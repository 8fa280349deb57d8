"""Build: choose the architecture and training settings; see the unrolled network and the lesson."""

from __future__ import annotations

import dataclasses

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive, var
from textual.widgets import Input, Label, Static

from rnntui.app.chrome import build_note
from rnntui.app.diagram import fitted_diagram, render_diagram
from rnntui.app.messages import SpecEdited
from rnntui.app.plain import assemble, join, line
from rnntui.app.state import Phase, TrainingState
from rnntui.app.widgets.form import Choice, NumberField
from rnntui.app.widgets.note import Note
from rnntui.app.widgets.view_focus import RestylesItselfOnFocus
from rnntui.app.widgets.wrap import hanging
from rnntui.core.errors import SpecError
from rnntui.core.size_table import recall
from rnntui.core.sizes import param_count
from rnntui.core.spec import CELL_LABELS, CELLS, OPTIMIZERS, PATTERN_LABELS, PATTERNS, ExperimentSpec, set_value
from rnntui.core.spec_types import ATTENTIONS

FORM_WIDTH = 46  # #build-form in app.tcss
SIDE_GAP = 2  # #build-side's left padding
TALL_FROM = 30  # rows of the view from which the diagram draws its cells as boxes of three rows
# (widget id, label, options)
CHOICE_FIELDS = (
    ("cell", "cell", [(CELL_LABELS[c], c) for c in CELLS]),
    ("pattern", "pattern", [(PATTERN_LABELS[p], p) for p in PATTERNS]),
    ("direction", "direction", [("uni", "uni"), ("bi", "bi")]),
    ("attention", "attention", [(a, a) for a in ATTENTIONS]),
    ("optimizer", "optimizer", [(o, o) for o in OPTIMIZERS]),
)
# (widget id, section, key, label)
NUMBER_FIELDS = (
    ("num_layers", "model", "num_layers", "layers"),
    ("hidden_size", "model", "hidden_size", "hidden"),
    ("dropout", "model", "dropout", "dropout"),
    ("lr", "train", "lr", "lr"),
    ("batch_size", "train", "batch_size", "batch"),
    ("clip_norm", "train", "clip_norm", "clip"),
    ("steps", "train", "steps", "steps"),
)


# What each field does, under the lesson: the room a tall terminal has, and a scroll away at 80×24.
FIELD_HELP = (
    (
        "cell",
        "the unit repeated at every step: RNN-tanh or RNN-relu (one set of weights), GRU (two gates), "
        "LSTM (three gates and a memory cell)",
    ),
    (
        "pattern",
        "how inputs and outputs line up: many→many (an output at every step), many→one (one output at "
        "the end), one→many (one input, a sequence out), encoder-decoder (read it all, then write)",
    ),
    ("direction", "uni reads left to right; bi adds a right-to-left pass and joins the two"),
    (
        "attention",
        "encoder-decoder only: none (the decoder gets the encoder's final state alone), or dot or additive: "
        "each decoder step scores every encoder step and reads their weighted mix",
    ),
    (
        "optimizer",
        "how a gradient changes the weights: sgd steps lr × gradient; adam and rmsprop scale each "
        "weight's step by its recent gradients",
    ),
    ("layers", "recurrent layers stacked: each reads the hidden states of the one below"),
    ("hidden", "units in each layer's hidden state, its memory (the weights grow with its square)"),
    ("dropout", "the share of a layer's outputs zeroed while training, between stacked layers"),
    ("lr", "learning rate: the size of each step; too high diverges, too low crawls"),
    ("batch", "sequences per step: more of them give a steadier gradient and a slower step"),
    ("clip", "a gradient whose norm is above this is scaled down to it (none: never): no exploding steps"),
    ("steps", "training steps in a run: space trains until then"),
)
HELP_KEY_WIDTH = 12


def field_text(value: str | int | float | bool | None) -> str:
    return "none" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def form_params(spec: ExperimentSpec, state: TrainingState) -> int | None:
    """The form's network's size: arithmetic on its task's known sizes, else the built network's."""
    sizes = recall(spec.task)
    if sizes is not None:
        return param_count(spec.model, sizes.input, sizes.output, sizes.tokens_in)
    built = state.spec
    same = built is not None and (built.model, built.task) == (spec.model, spec.task)
    return state.params if same else None


def lesson_text(spec: ExperimentSpec, width: int = 76) -> Text:
    """The preset's title, lesson and what to try next (all of it the preset author's text), for a
    box `width` cells wide: a bullet's text wraps under its text, not under the bullet."""
    lines = [assemble(line(spec.title or spec.name, "bold"), "  ", ("preset ", "dim"), line(spec.name, "dim"))]
    if spec.lesson:
        lines.append(assemble(spec.lesson))
    if spec.try_next:
        lines.append(assemble(("try next", "bold"), " (press 1 and change the setting, or use --set):"))
        lines += [hanging("  • ", assemble(line(k, "bold"), " — ", line(why)), width) for k, why in spec.try_next]
    lines.append(Text("the settings", style="bold"))
    lines += [hanging(Text(f"  {name:<{HELP_KEY_WIDTH}}", style="dim"), Text(what), width) for name, what in FIELD_HELP]
    return join(lines)


class BuildView(RestylesItselfOnFocus, Vertical, can_focus=True):
    BINDINGS = [Binding("down", "app.focus_next", "fields", show=False, tooltip="into the fields (↑/↓, tab move)")]
    FOCUS_ORDER = (
        "fields, with tab or ↓: cell, pattern, direction, attention, optimizer, then layers, hidden, dropout, lr, "
        "batch, clip, steps; ←/→ change a choice, enter lists them; the lesson box last (↑/↓ scroll it)"
    )

    training: reactive[TrainingState] = var(TrainingState(), always_update=True)

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self.spec: ExperimentSpec | None = None  # the editable spec (None while only previewed)
        self.form_spec: ExperimentSpec | None = None  # what the form shows now, edits included
        self._state = TrainingState()
        self._lesson = -1
        self._preview_params: int | None = None
        self._loading = False
        self._posted: tuple[ExperimentSpec | None, str | None] = (None, None)
        self._params_for: tuple[object, ...] | None = None  # what the parameter count was drawn for
        self._note: tuple[str, str] = ("", "")  # the note beside the form, as drawn
        self._diagram_drawn: tuple[object, int] | None = None  # the model and width drawn for

    def compose(self) -> ComposeResult:
        # Two columns of one-line fields; the focus order is down the first column, then the second.
        with Horizontal(id="build-top"):
            with Vertical(id="build-form"):
                with Horizontal(id="form-columns"):
                    # Each column a grid of label and field: no row container per field (a view
                    # switch lays out and renders every widget: 13 fewer of them, ~a third of the form).
                    with Vertical(classes="form-column"):
                        with Grid(classes="form-grid"):
                            for wid, label, options in CHOICE_FIELDS:
                                yield Label(label, classes="field-label")
                                yield Choice(options, id=wid)
                        yield Static("", id="params")
                    with Grid(classes="form-column form-grid"):
                        for wid, _, _, label in NUMBER_FIELDS:
                            yield Label(label, classes="field-label")
                            yield NumberField(id=wid)
            with Vertical(id="build-side"):
                yield Note(id="build-error")
                yield Static("", id="diagram", markup=False)
        with VerticalScroll(id="lesson"):
            yield Static("", id="lesson-text")

    def watch_training(self, old: TrainingState, new: TrainingState) -> None:
        """A new lesson (a preset or run opened) fills the form; otherwise only the side changes: the
        parameter count and why training is blocked. The form's own edits are not undone."""
        settled = new.spec is not None and new.phase is not Phase.BUILDING  # the new lesson's spec is in
        if settled and (new.lesson != self._lesson or self.spec is None):
            self._lesson = new.lesson
            self.show(new.spec)
        self._state = new
        self._side()

    def show(self, spec: ExperimentSpec, params: int | None = None, editable: bool = True) -> None:
        """Fill the form from a spec. Not `editable`: the first frame's preview (read without torch),
        whose edits would be lost when the real spec arrives, so they are not taken."""
        self._loading = True
        self.spec = spec if editable else None
        self.form_spec = spec
        self._posted = (spec, None)
        m, t = spec.model, spec.train
        self.query_one("#cell", Choice).value = m.cell
        self.query_one("#pattern", Choice).value = m.pattern
        self.query_one("#direction", Choice).value = "bi" if m.bidirectional else "uni"
        self.query_one("#attention", Choice).value = m.attention
        self.query_one("#optimizer", Choice).value = t.optimizer
        for wid, section, key, _ in NUMBER_FIELDS:
            self.query_one(f"#{wid}", Input).value = field_text(getattr(getattr(spec, section), key))
        self._loading = False
        self._preview_params = params
        self._side()
        self.show_lesson(spec)

    def show_lesson(self, spec: ExperimentSpec) -> None:
        self._lesson_spec = spec
        self._draw_lesson()

    def _draw_lesson(self) -> None:
        spec = getattr(self, "_lesson_spec", None)
        width = self.query_one("#lesson").scrollable_content_region.width or 72
        if spec is None or (spec, width) == getattr(self, "_lesson_drawn", None):
            return  # shown again at the same width: the same text (a new one is a second layout pass)
        self._lesson_drawn = (spec, width)
        self.query_one("#lesson-text", Static).update(lesson_text(spec, width))

    def _side(self) -> None:
        """The parameter count of the network in the form (by arithmetic: it follows every edit),
        its diagram, and why it cannot train."""
        spec, state = self.form_spec, self._state
        if spec is None:
            return
        # It runs at every training report: only what changed is drawn again (each update was a
        # layout pass of the whole screen, with this view hidden too), and the size table is read
        # from disk only for a new network.
        if getattr(self, "_diagram_for", None) != spec.model:
            self._diagram_for = spec.model
            self._draw_diagram()
        built = (state.spec.model, state.spec.task, state.params) if state.spec is not None else None
        if (spec.model, spec.task, built, self.spec is None) != self._params_for:
            self._params_for = (spec.model, spec.task, built, self.spec is None)
            params = form_params(spec, state) if self.spec is not None else self._preview_params
            self.query_one("#params", Static).update(
                assemble("params ", (f"{params:,}", "bold")) if params is not None else Text("params –", style="dim")
            )
        note, kind = build_note(state)
        if (note.plain, kind) != self._note:
            self._note = (note.plain, kind)
            err = self.query_one("#build-error", Static)
            err.update(note)
            err.set_class(kind == "-error", "-error")
            err.set_class(kind == "-pending", "-pending")

    def on_resize(self) -> None:
        self._draw_diagram()
        self.call_after_refresh(self._draw_lesson)  # its box's new width is known after the layout

    def _draw_diagram(self) -> None:
        """Beside the form when a diagram of 2–4 steps fits there, else below it at full width."""
        model = getattr(self, "_diagram_for", None)
        width = self.content_size.width
        if model is None or width <= 0:
            return
        tall = self.content_size.height >= TALL_FROM
        if (model, width, tall) == self._diagram_drawn:
            return  # (shown again at the same size: the same diagram, and no layout pass for it)
        self._diagram_drawn = (model, width, tall)
        beside = fitted_diagram(model, width - FORM_WIDTH - SIDE_GAP, tall)
        self.set_class(beside is None, "-diagram-below")
        text = beside or fitted_diagram(model, width, tall) or render_diagram(model, 2, 8)
        self.query_one("#diagram", Static).update(text)

    def _collect(self) -> tuple[ExperimentSpec, str | None]:
        assert self.spec is not None
        spec = self.spec
        try:
            for wid in ("cell", "pattern", "attention", "optimizer"):
                value = self.query_one(f"#{wid}", Choice).value
                section = "train" if wid == "optimizer" else "model"
                if isinstance(value, str):
                    spec = set_value(spec, section, wid, value)
            bi = self.query_one("#direction", Choice).value == "bi"
            spec = dataclasses.replace(spec, model=dataclasses.replace(spec.model, bidirectional=bi))
            for wid, section, key, label in NUMBER_FIELDS:
                text = self.query_one(f"#{wid}", Input).value
                try:
                    spec = set_value(spec, section, key, text)
                except SpecError as exc:
                    return spec, f"{label}: {exc}"
            from rnntui.core.spec import validate

            validate(spec)
        except SpecError as exc:
            return spec, str(exc)
        return spec, None

    @on(Choice.Changed)
    @on(Input.Changed)
    def _changed(self, event: Message) -> None:
        if self._loading or self.spec is None:
            return
        spec, error = self._collect()
        # A Choice posts Changed for programmatic values too, after show() has returned: only a
        # form that differs from what was last shown or posted is news.
        if (spec, error) == self._posted:
            return
        self._posted = (spec, error)
        self.form_spec = spec
        self._side()
        self.post_message(SpecEdited(spec, error))
