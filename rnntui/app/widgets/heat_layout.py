"""The heatmap laid out as rows: steps down (their tokens on the left), units across, diverging
colours (blue < 0 < red), the colour scale and notes on the title line. Pure functions of the numbers;
the widget that draws them is heatmap.py."""

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
    made once: a row is rebuilt for every step whenever the weights change (once a second while
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
