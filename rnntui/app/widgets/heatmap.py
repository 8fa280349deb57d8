"""Hidden-state heatmap: steps down (their tokens on the left), units across, diverging colours (blue < 0 < red)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.events import MouseScrollDown, MouseScrollUp
from textual.strip import Strip
from textual.widget import Widget

from rnntui.core.textsafe import one_line


def diverging(v: float, scale: float) -> Color:
    """Blue for negative, red for positive, near-black at zero; |v| / scale sets the intensity."""
    return Color.from_rgb(*_rgb(v, scale))


def _rgb(v: float, scale: float) -> tuple[int, int, int]:
    if not math.isfinite(v):
        return (255, 0, 255)
    x = max(-1.0, min(1.0, v / scale)) if scale > 0 else 0.0
    base = 30
    if x >= 0:
        return (int(base + (230 - base) * x), int(base + 40 * x), int(base + 20 * x))
    x = -x
    return (int(base + 20 * x), int(base + 90 * x), int(base + (235 - base) * x))


LABEL = 10  # columns for a step's token on the left


def token_label(tok: str) -> str:
    shown = one_line(tok.replace("\n", "↵").replace(" ", "␣")) or "·"
    return shown if len(shown) <= LABEL - 1 else shown[: LABEL - 2] + "…"


@dataclass(frozen=True)
class HeatRows:
    """A heatmap laid out: its head (title, colour scale, notes, unit ruler) and one row per step.
    Each row depends only on its values, its token and the shared scale, so a row already drawn
    can be reused as it is (Heatmap.show does)."""

    head: Text
    rows: list[tuple[tuple[Any, ...], Callable[[], list[Segment]]]]  # (what the row depends on, its builder)


def largest(values: Sequence[float]) -> float | None:
    """The largest |v| among the finite values (None if none): max and min at C speed, the slow way
    only for a row holding a NaN or an infinity (a value at a time over 48 rows × 110 units was ~1 ms
    a key)."""
    if not values:
        return None
    hi, lo = max(values), min(values)  # a finite result is exact: NaN never wins once one is finite
    if math.isfinite(hi) and math.isfinite(lo):
        return max(hi, -lo)
    return max((abs(v) for v in values if math.isfinite(v)), default=None)


def heat_rows(
    matrix: Sequence[Sequence[float]],
    tokens: Sequence[str],
    width: int = 78,
    max_steps: int = 48,
    signed: bool = True,
    highlight: int | None = None,
    title: str = "",
    skipped: int = 0,
) -> HeatRows:
    """matrix is (T, H): one row per fed step (its token on the left, the latest at the bottom),
    one column per unit (two cells each when there is room), colour scale on the title line.
    `skipped` earlier steps are not in `matrix` (the note counts them). Only the rows shown are read."""
    head = Text(no_wrap=True, overflow="crop")
    t_len = len(matrix)
    if t_len == 0:
        head.append(title, style="bold")
        head.append("\n(type a prefix to see the hidden state)", style="dim")
        return HeatRows(head, [])
    rows = range(max(0, t_len - max_steps), t_len)
    n_units = len(matrix[0])
    room = max(1, width - LABEL)
    cell = 2 if 2 * n_units <= room else 1
    units = min(n_units, room // cell)
    found = [b for t in rows if (b := largest(matrix[t][:units])) is not None]
    scale = max(found) if found else 1.0
    scale = 1.0 if signed and scale <= 1.0 else scale
    total = skipped + t_len
    notes = [f"the last {len(rows)} of {total} steps"] if len(rows) < total else []
    if units < n_units:
        notes.append(f"units 0–{units - 1} of {n_units} (a wider terminal shows more)")
    title_line(head, title, scale, signed, notes, width)
    head.append(ruler(units, cell, highlight), style="dim")
    out = []
    for t in rows:
        values = tuple(matrix[t][:units])
        label = token_label(tokens[t] if t < len(tokens) else "")
        out.append(((values, label, cell, scale, signed), partial(heat_row, values, label, cell, scale, signed)))
    return HeatRows(head, out)


def heat_row(values: Sequence[float], label: str, cell: int, scale: float, signed: bool) -> list[Segment]:
    """One step: its token, then a coloured cell (or two) per unit. Segments with a style per colour
    made once: a row is rebuilt for every step whenever the weights change (twice a second while
    Predict follows training), and a rich Text per row cost ~0.5 ms of the event loop."""
    blank = " " * cell
    out = [Segment(f"{label:>{LABEL - 1}} ", BOLD)]
    for v in values:
        out.append(Segment(blank, _background(_rgb(v if signed else 2 * v - scale, scale))))
    return out


BOLD = Style(bold=True)


@lru_cache(maxsize=4096)
def _background(rgb: tuple[int, int, int]) -> Style:
    return Style(bgcolor=Color.from_rgb(*rgb))


def title_line(text: Text, title: str, scale: float, signed: bool, notes: list[str], width: int) -> None:
    """The title, the colour scale from its lowest to its highest value, and the notes."""
    text.append(title, style="bold")
    lo, hi = (-scale, scale) if signed else (0.0, scale)
    text.append("   colour ", style="dim")
    text.append(f"{lo:.2g} ")
    for k in range(8):
        v = lo + (hi - lo) * k / 7
        text.append(" ", style=Style(bgcolor=diverging(v if signed else 2 * v - scale, scale)))
    text.append(f" {hi:.2g}")
    if notes:  # beside the title where they fit, else on a line of their own (the text is cropped)
        said = "   ".join(notes)
        text.append("   " + said if text.cell_len + 3 + len(said) <= width else "\n" + said, style="dim")
    text.append("\n")


def ruler(units: int, cell: int, highlight: int | None) -> str:
    """Unit numbers every 8 columns (every 4 units at two cells a unit), ▼ over the highlighted one."""
    marks = [" "] * (units * cell)
    for u in range(0, units, 8 if cell == 1 else 4):
        for i, ch in enumerate(str(u)):
            if u * cell + i < len(marks):
                marks[u * cell + i] = ch
    if highlight is not None and 0 <= highlight < units:
        marks[highlight * cell] = "▼"
    return " " * LABEL + "".join(marks)


def coloured_prefix(prefix: str, values: Sequence[float | None]) -> Text:
    """The typed text, each character on the colour of the chosen unit's activation."""
    text = Text(no_wrap=False)
    finite = [abs(v) for v in values if v is not None and math.isfinite(v)]
    scale = max(finite) if finite else 1.0
    for ch, v in zip(prefix, values, strict=False):
        shown = ch if ch.isprintable() else "·"
        if v is None:
            text.append(shown, style="dim")
        else:
            text.append(shown, style=Style(bgcolor=diverging(v, scale), color="white"))
    return text


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
        """The one repaint: never a layout (the box's size is the widget's)."""
        if (head == 0) != (self._head == 0):  # another kind of table (attention's ↔ a heatmap): its top
            self.top = 0
        self._lines, self._text, self._head = lines, text, head
        self._drawn = {key: drawn for line in lines if (drawn := self._drawn.get(key := id(line)))}
        self.top = self._clamped(self.top)
        self.refresh()

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
