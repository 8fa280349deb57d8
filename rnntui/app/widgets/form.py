"""One-line form fields for the Build view: a compact Select and a compact number Input.

The keys follow what a form in a terminal tool is expected to do: ↑/↓ (and tab) move between
fields, ←/→ change a choice in place, enter opens the list of choices, and space trains here as it
does everywhere else (Select opened on space and ↑/↓; an Input typed the space).
"""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Select

from rnntui.app.plain import PlainInput

FIELD_KEYS = [
    Binding("down", "app.focus_next", "next field", show=False),
    Binding("up", "app.focus_previous", "previous field", show=False),
    Binding("space", "app.toggle_training", "train/pause", show=False, priority=True),
]


class FormSelect(Select[str], inherit_bindings=False):
    BINDINGS = [
        Binding("enter", "show_overlay", "choose", show=False),
        Binding("left", "cycle(-1)", "previous choice", show=False),
        Binding("right", "cycle(1)", "next choice", show=False),
        *FIELD_KEYS,
    ]

    def __init__(self, options: list[tuple[str, str]], *, id: str) -> None:
        super().__init__(options, allow_blank=False, compact=True, id=id)
        self._values = [value for _, value in options]

    def set_options(self, options: list[tuple[str, str]]) -> None:  # type: ignore[override]
        super().set_options(options)
        self._values = [value for _, value in options]

    def action_cycle(self, step: int) -> None:
        if self.value in self._values:
            self.value = self._values[(self._values.index(self.value) + step) % len(self._values)]


class NumberField(PlainInput):
    BINDINGS = FIELD_KEYS

    def __init__(self, *, id: str) -> None:
        super().__init__(compact=True, select_on_focus=True, id=id, classes="number-input")
