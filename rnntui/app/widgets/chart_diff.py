"""Which cells of a chart changed between two drawings, so only those go to the terminal.

Textual sends every cell of a refreshed region, changed or not, and a chart refreshed whole is
sent whole: ~1,100 cells, each with its colour codes, at every redraw of every chart (the bulk of
the Train view's bytes). Between two redraws most cells stay (the frame, the tick labels, the
empty plot, the older part of a curve): the regions here cover only the runs of cells that differ.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from rich.text import Text
from textual.geometry import Region

Cells = list[tuple[str, Style | str]]
# Two changed runs closer than this are sent as one: moving the cursor costs ~8 bytes, about as much
# as re-sending a few unchanged cells.
JOIN_GAP = 6


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


def changed_runs(old: Cells, new: Cells) -> list[tuple[int, int]]:
    """(start, end) of the runs of cells that differ; cells past the shorter row count as changed."""
    width = max(len(old), len(new))
    diff = [i for i in range(width) if i >= len(old) or i >= len(new) or old[i] != new[i]]
    runs: list[tuple[int, int]] = []
    for i in diff:
        if runs and i - runs[-1][1] < JOIN_GAP:
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    return runs


def changed_regions(old: Sequence[Cells] | None, new: Sequence[Cells] | None) -> list[Region] | None:
    """The regions (relative to the chart's content) to send for `new` over `old`; None when the
    whole chart must go (nothing known of the old drawing, or a different number of rows)."""
    if old is None or new is None or len(old) != len(new):
        return None
    return [
        Region(a, y, b - a, 1) for y, (o, n) in enumerate(zip(old, new, strict=True)) for a, b in changed_runs(o, n)
    ]
