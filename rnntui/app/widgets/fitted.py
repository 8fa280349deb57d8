"""A Static that lays the screen out again only when its new content changes its height.

Static.update asks for a layout pass by default, and a layout pass repaints the whole screen:
Predict updated five Statics at every keystroke, so each key cost the screen's full layout and
render (~12 ms on the 2-core machine, twice a key: the echo and the prediction). Most updates keep
the height (the prediction's rows, a continuation of two lines, an empty note staying empty): those
repaint the widget alone.
"""

from __future__ import annotations

from textual.visual import VisualType
from textual.widgets import Static


class Fitted(Static):
    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        width, height = self.content_size
        auto_width = self.styles.width is not None and self.styles.width.is_auto
        if not layout or not width or not self.display or auto_width:
            super().update(content, layout=layout)  # not laid out yet, or its width follows the text
            return
        super().update(content, layout=False)
        if self.visual.get_height(self.styles, width) != height:
            self.refresh(layout=True)
