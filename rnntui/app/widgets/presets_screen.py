"""The presets menu: every preset with title, pattern and cell; the highlighted one's lesson."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from rnntui.app.plain import assemble, join, line, plain
from rnntui.core.presets import PresetEntry
from rnntui.core.spec import CELL_LABELS, PATTERN_LABELS


def preset_line(entry: PresetEntry) -> Text:
    """One row of the menu: name, pattern, cell and title (the name and title are data)."""
    if entry.spec is None:
        return assemble(line(f"{entry.name:<13}", "bold"), " ", ("error", "red"))
    s = entry.spec
    return assemble(
        line(f"{entry.name:<13}", "bold"),
        f" {PATTERN_LABELS[s.model.pattern]:<15} {CELL_LABELS[s.model.cell]:<8} ",
        line(s.title),
    )


def preset_details(entry: PresetEntry) -> Text:
    """The highlighted preset's lesson, what to try next and its goal; or why it cannot load."""
    if entry.spec is None:
        return assemble(
            line(entry.name, "bold"), " cannot be loaded:\n\n", entry.error or "", "\n\n", line(str(entry.path), "dim")
        )
    s = entry.spec
    parts: list[Text] = [line(s.title, "bold"), Text(""), plain(s.lesson)]
    if s.try_next:
        parts += [Text(""), Text("try next", style="bold")]
        parts += [assemble("• ", line(k, "bold"), " — ", line(w)) for k, w in s.try_next]
    if s.goal:
        sign = "≥" if s.goal.direction == "max" else "≤"
        parts += [Text(""), assemble(("goal", "bold"), " ", line(s.goal.metric), f" {sign} {s.goal.threshold:g}")]
    return join(parts)


class PresetsScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "dismiss_none", "close"), Binding("p", "dismiss_none", "close", show=False)]

    def __init__(self, entries: list[PresetEntry], current: str | None = None) -> None:
        super().__init__()
        self.entries = entries
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="presets-dialog"):
            yield Label("[b]Presets[/b] — ↑↓ to browse, enter to load, esc to close", id="presets-title")
            with Horizontal():
                yield OptionList(*[Option(preset_line(e), id=e.name) for e in self.entries], id="presets-list")
                yield Static("", id="presets-detail")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        names = [e.name for e in self.entries]
        options.highlighted = names.index(self.current) if self.current in names else 0
        options.focus()
        self._show(options.highlighted or 0)

    def _show(self, index: int) -> None:
        if 0 <= index < len(self.entries):
            self.query_one("#presets-detail", Static).update(preset_details(self.entries[index]))

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show(event.option_index)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        entry = self.entries[event.option_index]
        if entry.spec is None:
            self.notify(f"{entry.name} has an error and cannot be loaded", severity="error", markup=False)
            return
        self.dismiss(entry.name)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
