"""The line under Predict's prefix: what the prediction looks at (issue 16, after Distill's
"Memorization in RNNs"). Each typed token sits on a shade of how much it moves the prediction,
‖∂ target / ∂ x_t‖ (core/saliency.py), the largest the brightest; the scale is at the right.

The label is as wide as the prefix field's, so while the prefix fits, every shade is right under
the characters it belongs to. Drawn from plain numbers (core/trace_table.Saliency): no torch here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from rnntui.app.plain import line
from rnntui.core.trace_table import Saliency

LABEL = "looks at "  # as wide as the prefix field's label (app.tcss: #prefix-row .field-label)
# Four levels, dark to bright, readable on the dark and the light themes; text on the two brightest is dark.
LEVELS = tuple(Color.from_rgb(*rgb) for rgb in ((48, 48, 64), (112, 78, 36), (204, 132, 28), (255, 214, 64)))
WIDE = 100  # from this width the legend also gives the largest norm


@dataclass(frozen=True)
class Looked:
    """What the line draws: the typed text, each fed token's span in it, and their saliency."""

    prefix: str
    spans: tuple[tuple[int, int], ...]
    saliency: Saliency


def level(v: float) -> int:
    return max(0, min(len(LEVELS) - 1, int(v * len(LEVELS))))


def level_style(lv: int) -> Style:
    return Style(bgcolor=LEVELS[lv], color="black" if lv >= 2 else "white", bold=lv == len(LEVELS) - 1)


STYLES = tuple(level_style(lv) for lv in range(len(LEVELS)))  # (a Style per token cost ~17 µs)


def token_style(v: float) -> Style:
    return STYLES[level(v)]


def legend(sal: Saliency, width: int) -> Text:
    """'∂ log p(O)  low ████ high': what was differentiated (its token is data), then the scale, one
    block per level in the colour a token of that level sits on."""
    out = Text("  ∂ ", style="dim")
    out.append_text(line(sal.target[:24], "dim"))
    if width >= WIDE:
        out.append(f" (max {sal.scale:.3g})", style="dim")
    out.append("  low ", style="dim")
    for colour in LEVELS:
        out.append("█", style=Style(color=colour))
    out.append(" high", style="dim")
    return out


def shaded_prefix(prefix: str, spans: Sequence[tuple[int, int]], values: Sequence[float]) -> list[Text]:
    """The typed text in pieces: each fed token on its shade, the text between them as typed."""
    pieces: list[Text] = []
    at = 0
    for (start, end), v in zip(spans, values, strict=False):
        if start > at:
            pieces.append(line(prefix[at:start], "dim"))
        pieces.append(line(prefix[start:end], token_style(v)))
        at = max(at, end)
    if at < len(prefix):
        pieces.append(line(prefix[at:], "dim"))
    return pieces


def visible_from(prefix: str, spans: Sequence[tuple[int, int]], room: int) -> int:
    """The first token whose text to the end fills more than `room` cells (0: the whole text fits,
    or nearly). Only the tokens from there on can show: shading the others (every token of a
    512-token prefix, at each answer) was most of the line's 4-5 ms."""
    width, after = 0, len(prefix)
    for k in range(len(spans) - 1, -1, -1):
        start = spans[k][0]
        width += cell_len(prefix[start:after])
        after = min(after, start)
        if width > room:
            return k
    return 0


def shaded_tail(prefix: str, spans: Sequence[tuple[int, int]], values: Sequence[float], room: int) -> Text:
    """tail(shaded_prefix(...), room), shading only the tokens that can show."""
    n = min(len(spans), len(values))
    k = visible_from(prefix, spans[:n], room)
    if k == 0:
        return tail(shaded_prefix(prefix, spans[:n], values[:n]), room)
    s0 = spans[k][0]
    shifted = [(start - s0, end - s0) for start, end in spans[k:n]]
    return tail(shaded_prefix(prefix[s0:], shifted, values[k:n]), room)


def tail(pieces: list[Text], room: int) -> Text:
    """The last pieces that fit in `room` cells, with … where the start was cut (the … counted)."""
    whole = sum(cell_len(piece.plain) for piece in pieces)
    cutting = whole > room
    left = room - 1 if cutting else room  # the … takes a cell
    kept: list[Text] = []
    for piece in reversed(pieces):
        width = cell_len(piece.plain)
        if width > left:
            cut = len(piece)
            while cut > 0 and cell_len(piece.plain[cut - 1 :]) <= left:
                cut -= 1
            kept.append(piece[cut:])
            break
        kept.append(piece)
        left -= width
    out = Text("…", style="dim") if cutting and room > 0 else Text()
    for piece in reversed(kept):  # appended, not added: `a + b` gives b the style of a's whole text
        out.append_text(piece)
    return out


def saliency_text(looked: Looked | None, width: int) -> Text:
    """The whole line: the label, the shaded prefix (its tail when long), the legend at the right."""
    out = Text(no_wrap=True, overflow="crop")
    out.append(LABEL, style="dim")
    if looked is None:  # nothing predicted yet for this network
        out.append("…", style="dim")
        return out
    sal = looked.saliency
    if not sal.applicable or not sal.values:
        out.append_text(
            line(
                sal.target
                if not sal.applicable
                else "type a prefix: each token is shaded by how much it moves the prediction",
                "dim",
            )
        )
        return out
    key = legend(sal, width) if sal.scale > 0 else Text("  nothing typed moves the prediction", style="dim")
    room = max(1, width - len(LABEL) - cell_len(key.plain))
    body = shaded_tail(looked.prefix, looked.spans, sal.values, room)
    out.append_text(body)
    out.append(" " * max(0, room - cell_len(body.plain)))
    out.append_text(key)
    return out


class SaliencyLine(Widget):
    """One line; shows the latest prediction's saliency (`looked`), or a waiting mark."""

    DEFAULT_CSS = "SaliencyLine { height: 1; }"

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.looked: Looked | None = None

    def show(self, looked: Looked | None) -> None:
        self.looked = looked
        self.refresh()

    def render(self) -> Text:
        return saliency_text(self.looked, self.size.width or 78)
