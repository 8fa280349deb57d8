"""Help: every key of the view on screen and of the app, read from their bindings, and the lesson.

The rows come from the same bindings the keys run (so help cannot drift from them), in the words
of each binding's tooltip; a view adds how focus moves through its fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static

from rnntui.app.plain import assemble, line

KEY_WIDTH = 12
ACTION_HELP = {"app.focus_next": "next field", "app.focus_previous": "previous field"}
GROUP_HELP = {
    "views": "switch view: Build, Train, Predict, Runs",
    "charts": "switch chart (when they are tabs, below 110 columns)",
    "chart": "switch the overlay chart (when they are tabs, below 110 columns)",
}


@dataclass(frozen=True)
class HelpSection:
    title: str
    rows: tuple[tuple[str, str], ...]  # (keys, what they do)
    note: str = ""  # e.g. the focus order


def binding_rows(app: App[object], bindings: list[Binding]) -> list[tuple[str, str]]:
    """One row per action: its keys joined ("1 2 3 4" for a group) and its sentence."""
    rows: list[tuple[str, str]] = []
    grouped: dict[str, list[str]] = {}
    for b in bindings:
        keys = app.get_key_display(b)
        if b.group is not None:
            if b.group.description not in grouped:
                grouped[b.group.description] = []
                rows.append((f"\0{b.group.description}", GROUP_HELP.get(b.group.description, b.group.description)))
            grouped[b.group.description].append(keys)
            continue
        rows.append((keys, ACTION_HELP.get(b.action, b.tooltip or b.description)))
    return [(" ".join(grouped[k[1:]]) if k.startswith("\0") else k, text) for k, text in rows]


def ours(node: object, binding: Binding) -> bool:
    """A binding declared by rnntui (not a Textual widget's cursor keys), or the screen's tab keys."""
    if node.__class__.__name__ == "Screen":
        return binding.action in ("app.focus_next", "app.focus_previous", "focus_next", "focus_previous")
    for cls in type(node).__mro__:
        if cls.__module__.startswith("rnntui"):
            declared = cls.__dict__.get("BINDINGS", [])
            if any(isinstance(b, Binding) and (b.key, b.action) == (binding.key, binding.action) for b in declared):
                return True
    return False


def help_sections(app: App[object], view: Widget | None) -> list[HelpSection]:
    """The keys active now (read before help opens): the view's own, then the app's."""
    own: list[Binding] = []
    everywhere: list[Binding] = []
    for node, binding, _enabled, _tip in app.screen.active_bindings.values():
        if not binding.description or binding.action in ("command_palette", "leave_input") or not ours(node, binding):
            continue
        (everywhere if node is app or node is app.screen else own).append(binding)
    sections = []
    if view is not None:
        name = str(view.id or "this view").capitalize()
        order = getattr(view, "FOCUS_ORDER", "")
        sections.append(HelpSection(f"{name} view", tuple(binding_rows(app, own)), order))
    rows = binding_rows(app, everywhere) + [
        ("esc", "leave a text field, so the single keys work again"),
        ("ctrl+p", 'command palette: every action, and "Load preset: NAME"'),
    ]
    sections.append(HelpSection("Everywhere", tuple(rows)))
    return sections


def section_rows(section: HelpSection) -> ComposeResult:
    """A title, then a row per key: the key in its column, the sentence beside it (a long one wraps
    under itself, not under the key), and the focus order last, under the sentences."""
    with Vertical(classes="help-section"):
        yield Static(Text(section.title, style="bold"))
        rows = [*section.rows, *([("", section.note)] if section.note else [])]
        for keys, text in rows:
            with Horizontal(classes="help-row"):
                yield Static(Text(keys, style="bold"), classes="help-keys")
                yield Static(line(text, "" if keys else "dim"), classes="help-text")


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "close"),
        Binding("question_mark", "close", "close", show=False),
        Binding("q", "close", "close", show=False),
    ]

    def __init__(self, sections: list[HelpSection], title: str, lesson: str) -> None:
        super().__init__()
        self.sections, self.title_text, self.lesson = sections, title, lesson

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog"):
            for section in self.sections:
                yield from section_rows(section)
            if self.lesson:
                yield Static(assemble(("Lesson: ", "bold"), line(self.title_text, "bold"), "\n", self.lesson))
            yield Static(Text("esc closes · ↑/↓ scroll", style="dim"))

    def on_mount(self) -> None:
        # ↑/↓ and page keys scroll it: the app focuses nothing by itself, and at 80×24 the lesson
        # and "esc closes" are below the fold.
        self.query_one("#help-dialog", VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
