"""A line of text that takes no room while it has nothing to say (at 80×24 every line counts)."""

from __future__ import annotations

from rich.text import Text
from textual.visual import VisualType
from textual.widgets import Static


class Note(Static):
    DEFAULT_CSS = "Note { height: auto; }"

    def on_mount(self) -> None:
        self.display = False

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        super().update(content, layout=layout)
        self.display = bool(content.plain if isinstance(content, Text) else content)
