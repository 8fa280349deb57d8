"""Which cells of a chart changed between two drawings, so only those go to the terminal.

Textual sends every cell of a refreshed region, changed or not, and a chart refreshed whole is
sent whole: ~1,100 cells, each with its colour codes, at every redraw of every chart (the bulk of
the Train view's bytes). Between two redraws most cells stay (the frame, the tick labels, the
empty plot, the older part of a curve): the regions here cover, on each row, the cells from the
first that differs to the last.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from rich.text import Text
from textual.geometry import Region

Cells = list[tuple[str, Style | str]]


def cells(line: Text) -> Cells | None:
    """Each character of `line` with its style; None when a character is not one cell wide (the
    regions would not line up with the screen)."""
    if line.cell_len != len(line.plain):
        return None
    styles: list[Style | str] = [line.style] * len(line.plain)
    for span in line.spans:
        for i in range(span.start, min(span.end, len(styles))):
            styles[i] = span.style  # later spans win, as when rich renders them
    return list(zip(line.plain, styles, strict=True))


def drawing_cells(drawing: Text) -> list[Cells] | None:
    """A whole drawing, line by line (None as in `cells`)."""
    out = []
    for line in drawing.split("\n", allow_blank=True):
        row = cells(line)
        if row is None:
            return None
        out.append(row)
    return out


def changed_span(old: Cells, new: Cells) -> tuple[int, int] | None:
    """(start, end) from the first cell that differs to the last (cells past the shorter row
    differ); None when none does. One span a row, not one per run of changed cells: Textual sends
    a span from the start of the segment it falls in, and two spans on a row sent their common
    segments twice (measured: 7.1 KB a redraw of two charts against 6.3 KB with one span a row)."""
    width = max(len(old), len(new))
    diff = [i for i in range(width) if i >= len(old) or i >= len(new) or old[i] != new[i]]
    return (diff[0], diff[-1] + 1) if diff else None


def changed_regions(old: Sequence[Cells] | None, new: Sequence[Cells] | None) -> list[Region] | None:
    """The regions (relative to the chart's content) to send for `new` over `old`; None when the
    whole chart must go (nothing known of the old drawing, or a different number of rows)."""
    if old is None or new is None or len(old) != len(new):
        return None
    spans = [(y, changed_span(o, n)) for y, (o, n) in enumerate(zip(old, new, strict=True))]
    return [Region(span[0], y, span[1] - span[0], 1) for y, span in spans if span is not None]
