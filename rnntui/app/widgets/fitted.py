"""A Static that lays the screen out again only when its new content changes its height.

Static.update asks for a layout pass by default, and a layout pass repaints the whole screen:
Predict updated five Statics at every keystroke, so each key cost the screen's full layout and
render (~12 ms on the 2-core machine, twice a key: the echo and the prediction). Most updates keep
the height (the prediction's rows, a continuation of two lines, an empty note staying empty): those
repaint the widget alone.
"""

from __future__ import annotations

from textual.css.scalar import Unit
from textual.visual import VisualType
from textual.widgets import Static


class Fitted(Static):
    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        width, height = self.content_size
        auto_width = self.styles.width is not None and self.styles.width.is_auto
        if not layout or auto_width:
            super().update(content, layout=layout)  # its width follows the text (an empty one's is 0)
            return
        super().update(content, layout=False)
        # Not on screen (width 0: its view hidden; or itself hidden), the layout that shows it
        # measures it: Train's metrics and samples asked for a pass at each report while Predict
        # was typed in.
        if width and self.display and self.rows_for(self.visual.get_height(self.styles, width)) != height:
            self.refresh(layout=True)

    def rows_for(self, lines: int) -> int:
        """The rows of content a text of `lines` lines leaves it, its min-height and max-height (in
        cells) applied: a chart's one-line legend is held two rows tall beside a two-line one."""
        styles = self.styles
        gutter = styles.gutter.height if styles.box_sizing == "border-box" else 0
        if styles.min_height is not None and styles.min_height.unit is Unit.CELLS:
            lines = max(lines, int(styles.min_height.value) - gutter)
        if styles.max_height is not None and styles.max_height.unit is Unit.CELLS:
            lines = min(lines, int(styles.max_height.value) - gutter)
        return lines
