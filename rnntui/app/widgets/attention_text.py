"""The attention matrix as text: one row per token the decoder wrote, one column per source token,
each cell shaded by how much that step looked at that token (its weights sum to 1 along the row)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from rich.text import Text

from rnntui.app.widgets.heat_layout import LABEL, diverging, token_label


def attention_text(
    rows: Sequence[Sequence[float]], source: Sequence[str], written: Sequence[str], width: int = 78, title: str = ""
) -> Text:
    text = Text(no_wrap=True, overflow="crop")
    text.append(title or "attention", style="bold")
    if not rows or not source:
        text.append("\n(type the input: each written token's row shows where it looked)", style="dim")
        return text
    room = max(1, width - LABEL)
    cell = max(1, min(6, room // len(source)))
    first = max(0, len(source) - room // cell)  # a source longer than the width: its last tokens
    shown = list(range(first, len(source)))
    text.append("   weight ", style="dim")
    text.append("0 ")
    for k in range(8):
        text.append(" ", style=Style(bgcolor=diverging(k / 7, 1.0)))
    text.append(" 1")
    if first:
        text.append(f"   source tokens {first + 1}–{len(source)} of {len(source)}", style="dim")
    text.append("\n" + " " * LABEL)
    for s in shown:  # the source tokens over their columns, cut to the column
        label = token_label(source[s])
        text.append((label if cell > 1 and len(label) < cell else label[: max(1, cell - 1)]).ljust(cell), style="dim")
    for u, row in enumerate(rows):
        text.append("\n")
        text.append(f"{token_label(written[u] if u < len(written) else ''):>{LABEL - 1}} ", style="bold")
        for s in shown:
            text.append(" " * cell, style=Style(bgcolor=diverging(row[s] if s < len(row) else 0.0, 1.0)))
    return text
