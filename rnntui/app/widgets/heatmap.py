"""The hidden-state heatmap widget: draws HeatRows (heat_layout.py) line by line, under a head that stays."""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.events import MouseScrollDown, MouseScrollUp
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from rnntui.app.widgets.heat_layout import HeatRows


class Heatmap(Widget):
    """The heatmap, drawn from HeatRows line by line (Textual's line API). A row is rendered to a
    Strip once and kept while it stays on screen: typing one more token adds one row and scrolls
    one out, so a keystroke renders one row, not all 48 (converting every cell's style was ~60 ms
    a keystroke on the 2-core machine). Drawing the view is then copying strips: as a Static, the
    heatmap's Content was laid out again at every repaint, 3–4 ms of the 10–20 ms it took to show
    Predict with the event loop stopped (tests/test_app_stall.py).

    It fills its box and scrolls its rows itself, under its head (title, colour scale, ruler), which
    stays in place. Its size never follows its lines: as tall as its rows inside a scrolling box (and
    as wide as its title, which changes with every key) it asked for a layout pass at almost every
    key, which repainted most of the screen: key → repainted prediction took 48–60 ms at 120×40
    (benchmarks/keystroke_repaint.py; tests/test_predict_layout.py counts the passes)."""

    DEFAULT_CSS = "Heatmap { height: 1fr; width: 100%; }"
    WHEEL_ROWS = 3

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id)
        self._rows: dict[tuple[Any, ...], tuple[Strip, str]] = {}
        self._lines: list[Strip] = []
        self._text: list[str] = []  # the lines as plain text (tests and the walk read them)
        self._head = 0  # lines that stay in place: the title, the scale and the ruler
        self.top = 0  # rows scrolled out above
        # Each line as drawn (cropped to the width, in the widget's style), by the line it was made
        # from: a key shifts every row up one, and a row drawn the frame before is then the very
        # Strip again, whose own caches (Textual's filters, crops) hold. Drawing each row anew took
        # ~0.5 ms a line, most of a 120×40 frame.
        self._drawn: dict[int, tuple[Strip, int, Style, Strip]] = {}
        self._style: Style | None = None  # rich_style walks the ancestors' styles: once per restyle

    def notify_style_update(self) -> None:
        self._style = None
        super().notify_style_update()

    @property
    def plain(self) -> str:
        return "\n".join(self._text)

    def show(self, laid: HeatRows) -> None:
        kept: dict[tuple[Any, ...], tuple[Strip, str]] = {}
        lines, text = self._strips(laid.head)
        head = len(lines)
        for key, build in laid.rows:
            row = self._rows.get(key)
            if row is None:
                strip = Strip(build())
                row = (strip, strip.text)  # its text once too (a join over its cells)
            kept[key] = row
            lines.append(row[0])
            text.append(row[1])
        self._rows = kept  # only the rows on screen: the cache never outgrows the view
        self.update(lines, text, head)

    def show_text(self, shown: Text) -> None:
        """Any other table (attention's), drawn as it is: every line scrolls."""
        self._rows = {}
        self.update(*self._strips(shown), head=0)

    def update(self, lines: list[Strip], text: list[str], head: int) -> None:
        """The one repaint, of the lines that changed (never a layout: the box's size is the
        widget's). Repainting all of them re-sent every line of the box to the terminal, blank ones
        too, at every answer: 39 KB/s in Predict while char-lm trained (benchmarks/wire.py)."""
        before = self._on_screen()
        if (head == 0) != (self._head == 0):  # another kind of table (attention's ↔ a heatmap): its top
            self.top = 0
        self._lines, self._text, self._head = lines, text, head
        self._drawn = {key: drawn for line in lines if (drawn := self._drawn.get(key := id(line)))}
        self.top = self._clamped(self.top)
        after = self._on_screen()
        changed = [y for y, (old, new) in enumerate(zip(before, after, strict=True)) if not _same(old, new)]
        width = self.size.width
        for start, end in _runs(changed):
            self.refresh(Region(0, start, width, end - start))

    def _on_screen(self) -> list[tuple[Strip | None, str | None]]:
        """What each line of the box shows: its Strip (None: blank) and, on the title line, where the
        rows are."""
        shown: list[tuple[Strip | None, str | None]] = []
        for y in range(self.size.height):
            index = y if y < self._head else y + self.top
            line = self._lines[index] if index < len(self._lines) else None
            shown.append((line, self.where() if y == 0 and self._head else None))
        return shown

    def scroll_rows(self, rows: int) -> None:
        top = self._clamped(self.top + rows)
        if top != self.top:
            self.top = top
            self.refresh()

    @property
    def visible_rows(self) -> int:
        return max(1, self.size.height - self._head)

    @property
    def total_rows(self) -> int:
        return len(self._lines) - self._head

    def _clamped(self, top: int) -> int:
        return max(0, min(top, self.total_rows - self.visible_rows))

    def on_mouse_scroll_down(self, event: MouseScrollDown) -> None:
        self.scroll_rows(self.WHEEL_ROWS)
        event.stop()

    def on_mouse_scroll_up(self, event: MouseScrollUp) -> None:
        self.scroll_rows(-self.WHEEL_ROWS)
        event.stop()

    def on_resize(self) -> None:
        self.top = self._clamped(self.top)

    def _strips(self, text: Text) -> tuple[list[Strip], list[str]]:
        lines = text.split("\n", allow_blank=True)
        console = self.app.console
        return [Strip(line.render(console), line.cell_len) for line in lines], [line.plain for line in lines]

    def where(self) -> str | None:
        """Which rows show, when not all of them fit ("rows 1–18 of 48 · pgup pgdn")."""
        if self.total_rows <= self.visible_rows:
            return None
        last = min(self.total_rows, self.top + self.visible_rows)
        return f"rows {self.top + 1}–{last} of {self.total_rows} · pgup pgdn"

    def render_line(self, y: int) -> Strip:
        if self._style is None:
            self._style = self.rich_style
        style = self._style
        width = self.size.width
        index = y if y < self._head else y + self.top
        if index >= len(self._lines):
            return Strip.blank(width, style)
        line = self._lines[index]
        where = self.where() if y == 0 and self._head else None
        if where is not None:  # on the title line, at its right end (over the title's tail if need be)
            tag = Strip([Segment(" " + where, DIM)])
            line = Strip.join([line.crop_extend(0, max(0, width - tag.cell_length), None), tag])
            return line.crop_extend(0, width, style).apply_style(style)
        drawn = self._drawn.get(id(line))
        if drawn is None or drawn[0] is not line or drawn[1] != width or drawn[2] != style:
            drawn = (line, width, style, line.crop_extend(0, width, style).apply_style(style))
            self._drawn[id(line)] = drawn
        return drawn[3]


DIM = Style(dim=True)


def _same(a: tuple[Strip | None, str | None], b: tuple[Strip | None, str | None]) -> bool:
    """The same picture: the same rows are the same Strips; a head line is made anew at every answer
    and compared by its cells."""
    (x, where_x), (y, where_y) = a, b
    if where_x != where_y:
        return False
    if x is y:
        return True
    return x is not None and y is not None and x.text == y.text and list(x) == list(y)


def _runs(ys: list[int]) -> list[tuple[int, int]]:
    """Consecutive line numbers as (start, end) spans: one refresh region each."""
    spans: list[tuple[int, int]] = []
    for y in ys:
        if spans and spans[-1][1] == y:
            spans[-1] = (spans[-1][0], y + 1)
        else:
            spans.append((y, y + 1))
    return spans
