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
class MapCloud:
    """The validation states on the map of the hidden state (core/state_map.py), one fit's worth.
    Coordinates as two flat tuples: a tuple per point made the garbage collector's full passes
    (hundreds of ms, holding the GIL) come every few fits."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]
    classes: tuple[int, ...]  # the head's top class at each point (empty: the head does not read them)
    names: tuple[str, ...]  # class index → name
    explained: tuple[float, float]  # each axis's share of the states' variance


@dataclass(frozen=True)
class MapTable:
    """The map: the cloud (shared by every prediction until the next fit) and the prefix's path."""

    cloud: MapCloud
    xs: tuple[float, ...]  # the prefix's path, a point per step (TraceTable.tokens names them)
    ys: tuple[float, ...]
    classes: tuple[int, ...]  # the head's top class after each step (-1: none; empty: no classes)


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
    attention: Rows = ()  # encoder-decoder with attention: one row per token written, one column per token read
    written: tuple[str, ...] = ()  # the tokens those rows wrote (the end token included)
    map: MapTable | None = None  # the map of the hidden state (None: no fit yet, or none possible)
    map_note: str | None = None  # why there is no map, when one cannot be made
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
