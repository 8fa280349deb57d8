"""A prediction's per-step values as plain numbers: what the Predict view draws, without torch.

The predictor's thread builds it (prediction.table()); the UI thread only reads tuples of floats,
so drawing a heatmap or colouring the prefix never runs a tensor operation on the event loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

Rows = tuple[tuple[float, ...], ...]  # (steps, units)
HEAT_STEPS = 64  # the heatmap shows at most this many of the latest steps (it has ~48 rows)


@dataclass(frozen=True)
class Saliency:
    """What the prediction looks at (core/saliency.py): ‖∂ target / ∂ x_t‖ per fed token."""

    values: tuple[float, ...]  # one per fed token, scaled so the largest is 1 (all 0: nothing moves it)
    target: str  # what was differentiated, in words ("log p(o)", "the forecast"); tokens in it are data
    scale: float  # the largest norm before scaling
    applicable: bool = True  # False for one→many: it reads one input


@dataclass(frozen=True)
class TraceTable:
    tokens: tuple[str, ...]  # every step's token
    spans: tuple[tuple[int, int], ...]  # every step's (start, end) in the typed text
    first: int  # the step the heat rows start at (the latest HEAT_STEPS are kept)
    heat: Mapping[tuple[str, int, int], Rows] = field(default_factory=dict)  # (what, layer, direction)
    hidden: Mapping[tuple[int, int], Rows] = field(default_factory=dict)  # every step, for colouring
    saliency: Saliency | None = None  # what the prediction looks at, one value per step (None: not asked)

    def rows(self, what: str, layer: int, direction: int) -> Rows:
        """The kept steps of one quantity of one layer and direction ((0, 0)-shaped if absent)."""
        return self.heat.get((what, layer, direction), ())

    def unit_per_char(self, text_len: int, layer: int, direction: int, unit: int) -> list[float | None] | None:
        """One value per character of the typed text (None where no step covers it), or None when
        the unit is not in that layer."""
        rows = self.hidden.get((layer, direction), ())
        if not rows or not 0 <= unit < len(rows[0]):
            return None
        out: list[float | None] = [None] * text_len
        for (start, end), row in zip(self.spans, rows, strict=False):
            for i in range(start, min(end, text_len)):
                out[i] = row[unit]
        return out
