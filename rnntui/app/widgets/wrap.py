"""Text laid out for a known width, where plain word wrapping reads badly: a bullet's text wrapped
under its text (not under the bullet), a short tail kept with what it ends ("Predict (3)." alone
on a line), a list broken only between its items."""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache

from rich.console import Console
from rich.text import Text


@cache
def _console() -> Console:
    # Text.wrap wants a console (for tab sizes); nothing is ever printed to this one.
    return Console(file=io.StringIO(), width=1000, color_system=None, legacy_windows=False)


def wrap_lines(text: Text, width: int) -> list[Text]:
    """`text` broken into lines of at most `width` cells (words longer than that are folded)."""
    lines = text.wrap(_console(), max(1, width), justify="default", overflow="fold")
    return [line.copy() for line in lines] or [Text()]


def _joined(lines: Sequence[Text]) -> Text:
    out = Text()
    for i, line in enumerate(lines):
        if i:
            out.append("\n")
        out.append_text(line)
    return out


def hanging(prefix: Text | str, body: Text, width: int) -> Text:
    """`prefix` then `body`, the body's next lines under its first (a bullet's hanging indent)."""
    head = Text(prefix) if isinstance(prefix, str) else prefix
    indent = head.cell_len
    lines = wrap_lines(body, max(8, width - indent))
    for line in lines:
        line.rstrip()
    return _joined([head + lines[0], *[Text(" " * indent) + line for line in lines[1:]]])


def keep_together(head: Text, tail: Text, width: int) -> Text:
    """`head`, then `tail` on its last line when it fits there, else on a line of its own: the
    tail never splits."""
    lines = wrap_lines(head, width)
    for line in lines:
        line.rstrip()
    if lines[-1].cell_len + 1 + tail.cell_len <= width:
        lines[-1] = lines[-1] + Text(" ") + tail
    else:
        lines.append(tail)
    return _joined(lines)


def items_text(prefix: Text | str, items: Sequence[Text], width: int, sep: str = " · ") -> Text:
    """`prefix` then the items, separated by `sep` and broken only between items; lines after the
    first start under the first item."""
    head = Text(prefix) if isinstance(prefix, str) else prefix
    indent = head.cell_len
    lines = [head.copy()]
    for i, item in enumerate(items):
        line = lines[-1]
        if i and line.cell_len + len(sep) + item.cell_len <= width:
            line.append(sep)
        elif i:
            lines.append(Text(" " * indent))
        lines[-1].append_text(item)
    return _joined(lines)
