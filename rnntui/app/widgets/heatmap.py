"""Hidden-state heatmap: units down, steps across, diverging colours (blue < 0 < red)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from rnntui.core.textsafe import one_line


def diverging(v: float, scale: float) -> Color:
    """Blue for negative, red for positive, near-black at zero; |v| / scale sets the intensity."""
    if not math.isfinite(v):
        return Color.from_rgb(255, 0, 255)
    x = max(-1.0, min(1.0, v / scale)) if scale > 0 else 0.0
    base = 30
    if x >= 0:
        return Color.from_rgb(int(base + (230 - base) * x), int(base + 40 * x), int(base + 20 * x))
    x = -x
    return Color.from_rgb(int(base + 20 * x), int(base + 90 * x), int(base + (235 - base) * x))


def heat_text(
    matrix: Sequence[Sequence[float]],
    tokens: Sequence[str],
    max_units: int = 64,
    max_steps: int = 48,
    signed: bool = True,
    highlight: int | None = None,
) -> Text:
    """matrix is (T, H). Rows are units, columns are the last `max_steps` steps (2 cells each)."""
    text = Text(no_wrap=True, overflow="crop")
    t_len = len(matrix)
    if t_len == 0:
        text.append("(type a prefix to see the hidden state)", style="dim")
        return text
    start = max(0, t_len - max_steps)
    cols = list(range(start, t_len))
    units = min(len(matrix[0]), max_units)
    flat = [abs(matrix[t][u]) for t in cols for u in range(units) if math.isfinite(matrix[t][u])]
    scale = max(flat) if flat else 1.0
    scale = 1.0 if signed and scale <= 1.0 else scale
    text.append("unit ", style="dim")
    for t in cols:
        tok = tokens[t] if t < len(tokens) else ""
        shown = (one_line(tok.replace("\n", "↵").replace(" ", "␣")) or "·")[:2]
        text.append(f"{shown:<2}", style="bold")
    text.append("\n")
    for u in range(units):
        mark = "▶" if highlight == u else " "
        text.append(f"{mark}{u:>3} ", style="bold" if highlight == u else "dim")
        for t in cols:
            v = matrix[t][u]
            text.append("  ", style=Style(bgcolor=diverging(v if signed else 2 * v - scale, scale)))
        text.append("\n")
    if len(matrix[0]) > units:
        text.append(f"… {len(matrix[0]) - units} more units\n", style="dim")
    text.append(f"colour scale ±{scale:.2g}" if signed else f"colour scale 0…{scale:.2g}", style="dim")
    return text


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


class Heatmap(Static):
    DEFAULT_CSS = "Heatmap { height: auto; width: auto; }"
