"""One-line form fields for the Build and Predict views: a choice and a number.

The keys follow what a form in a terminal tool is expected to do: ↑/↓ (and tab) move between
fields, ←/→ change a choice in place, enter lists the choices, and space trains here as it does
everywhere else (Textual's Select opened on space and ↑/↓; an Input typed the space).

`Choice` is one widget where Textual's Select is a dozen (its overlay is an OptionList built up
front): the Build view is in the app's first frame, and four Selects cost it ~50 ms.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive, reactive
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from rnntui.app.plain import PlainInput

FIELD_KEYS = [
    Binding("down", "app.focus_next", "next field", show=False),
    Binding("up", "app.focus_previous", "previous field", show=False),
    Binding("space", "app.toggle_training", "train", priority=True, tooltip="train or pause; leaves the field"),
]


class ChoiceMenu(ModalScreen[str | None]):
    """The choices of a field, listed: ↑/↓ and enter pick one, esc keeps the current one."""

    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, options: list[tuple[str, str]], current: str) -> None:
        super().__init__()
        self.options, self.current = options, current

    def compose(self) -> ComposeResult:
        yield OptionList(*[Option(label, id=value) for label, value in self.options], id="choice-menu")

    def on_mount(self) -> None:
        menu = self.query_one(OptionList)
        values = [v for _, v in self.options]
        menu.highlighted = values.index(self.current) if self.current in values else 0
        menu.focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Choice(Widget, can_focus=True):
    """A field whose value is one of a few options, drawn as `label ▼` on one line."""

    DEFAULT_CSS = """
    Choice { height: 1; width: 1fr; background: $surface; padding: 0 1; }
    Choice:focus { background: $primary 40%; text-style: bold; }
    """
    BINDINGS = [
        Binding("enter", "pick", "choose", show=False),
        Binding("left", "cycle(-1)", "previous choice", show=False),
        Binding("right", "cycle(1)", "next choice", show=False),
        *FIELD_KEYS,
    ]
    value: reactive[str] = reactive("", init=False)

    @dataclass
    class Changed(Message):
        choice: Choice
        value: str

        @property
        def control(self) -> Choice:
            return self.choice

    def __init__(self, options: list[tuple[str, str]], *, id: str) -> None:
        super().__init__(id=id)
        self.options = list(options)
        self.set_reactive(Choice.value, options[0][1] if options else "")

    @property
    def values(self) -> list[str]:
        return [value for _, value in self.options]

    def set_options(self, options: list[tuple[str, str]]) -> None:
        self.options = list(options)
        if self.value not in self.values and options:
            self.value = options[0][1]
        self.refresh()

    @property
    def label(self) -> str:
        """The current option's label, as the field shows it."""
        return next((lab for lab, value in self.options if value == self.value), self.value)

    def render(self) -> Text:
        return Text.assemble(self.label, " ", ("▼", "dim"), no_wrap=True, overflow="ellipsis")

    def watch_value(self, value: str) -> None:
        self.post_message(self.Changed(self, value))

    def action_cycle(self, step: int) -> None:
        if self.value in self.values:
            self.value = self.values[(self.values.index(self.value) + step) % len(self.values)]

    def action_pick(self) -> None:
        def picked(value: str | None) -> None:
            if value is not None:
                self.value = value

        self.app.push_screen(ChoiceMenu(self.options, self.value), picked)


class NumberField(PlainInput):
    BINDINGS = FIELD_KEYS

    def __init__(self, *, id: str) -> None:
        super().__init__(compact=True, select_on_focus=True, id=id, classes="number-input")


class PredictInput(PlainInput):
    BINDINGS = FIELD_KEYS[:2]  # ↑/↓ move between fields; space types a space here
    # The text's width is the field's virtual width, and Widget's asks for a layout pass when it
    # changes: at every key, a whole-screen layout and repaint (~12 ms here) for a field whose box
    # never changes (its width is the row's, its height one line). The field scrolls by its own
    # scroll offset, which reads this value as it is set.
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def __init__(self, *, placeholder: str, id: str, max_length: int = 0, type: str = "text") -> None:
        super().__init__(
            placeholder=placeholder, id=id, max_length=max_length, type=type, compact=True, select_on_focus=False
        )
