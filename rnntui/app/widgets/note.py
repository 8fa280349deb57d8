"""A line of text that takes no room while it has nothing to say (at 80×24 every line counts)."""

from __future__ import annotations

from rich.text import Text
from textual.visual import VisualType

from rnntui.app.widgets.fitted import Fitted


class Note(Fitted):
    DEFAULT_CSS = "Note { height: auto; }"

    def on_mount(self) -> None:
        self.display = False

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        shown = bool(content.plain if isinstance(content, Text) else content)
        if not shown and not self.display:
            return  # nothing to say, and nothing said: no repaint at all
        super().update(content, layout=layout)
        self.display = shown
