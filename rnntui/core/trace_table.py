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


Key = tuple[str, int, int]  # (what, layer, direction)
Row = tuple[float, ...] | None  # a step's units; None: a quantity other than the hidden state, off the window


@dataclass(frozen=True)
class RowEdit:
    """How one table's rows differ from the last one's: what crosses from the predictor's process
    to the app's at a keystroke. A whole table at 512 steps was ~0.9 MB pickled and 5 ms to read
    back (char-lm); a key that adds a step sends that step's rows. Both sides apply the same edits
    in the same order to a RowStore, so they hold the same rows."""

    keys: tuple[Key, ...]  # every quantity's (what, layer, direction), in order; new keys: all rows anew
    keep: int  # steps kept from the last table: the rest are cut, then these appended
    texts: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    rows: tuple[tuple[Row, ...], ...]  # appended, one tuple per key
    patches: tuple[tuple[int, int, Row], ...]  # (key index, step, row) at kept steps: the window moved
    first: int  # the heat window's first step


class RowStore:
    """Every step's rows of every quantity, kept from key to key (see RowEdit)."""

    def __init__(self) -> None:
        self.keys: tuple[Key, ...] = ()
        self.first = 0
        self._texts: list[str] = []
        self._spans: list[tuple[int, int]] = []
        self._rows: list[list[Row]] = []

    def apply(self, edit: RowEdit) -> None:
        if edit.keys != self.keys:
            self.keys, self._rows = edit.keys, [[] for _ in edit.keys]
        keep = edit.keep
        del self._texts[keep:], self._spans[keep:]
        self._texts += edit.texts
        self._spans += edit.spans
        for rows, added in zip(self._rows, edit.rows, strict=True):
            del rows[keep:]
            rows += added
        for k, step, row in edit.patches:
            self._rows[k][step] = row
        self.first = edit.first

    def rows(self, key: Key) -> list[Row]:
        return self._rows[self.keys.index(key)]

    def table(self, **parts: object) -> TraceTable:
        """The table these rows make; `parts` are TraceTable's other fields (attention, map, …)."""
        hidden = {
            (layer, d): tuple(rows)
            for (what, layer, d), rows in zip(self.keys, self._rows, strict=True)
            if what == "hidden"
        }
        heat = {key: tuple(rows[self.first :]) for key, rows in zip(self.keys, self._rows, strict=True)}
        return TraceTable(tuple(self._texts), tuple(self._spans), self.first, heat, hidden, **parts)  # type: ignore[arg-type]
