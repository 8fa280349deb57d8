"""What the predictor returns: one StepView per fed token and the Prediction for a prefix.

Kept apart from the Predictor (which runs the model) because views, hunt and the JSON output read
these without running anything.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from operator import attrgetter, is_
from typing import Any

import torch

from rnntui.core.outputs import Output, Ranked, Translated
from rnntui.core.tasks.data import Token
from rnntui.core.trace import StackTrace
from rnntui.core.trace_table import HEAT_STEPS, Key, Row, RowEdit, Rows, RowStore, TraceTable


@dataclass(slots=True)  # (like Token: walked hundreds at a time at a keystroke)
class StepView:
    """One fed token: hidden (L, D, H), cell (L, D, H) for LSTM, gates name → (L, D, H)."""

    token: Token
    hidden: torch.Tensor
    cell: torch.Tensor | None
    gates: dict[str, torch.Tensor]
    output: torch.Tensor | None = None  # the head's output after this step, when it has one
    # Each quantity as plain numbers, [layer][direction] → a row of units, converted at most once:
    # the predictor keeps its views from keystroke to keystroke, so a keystroke converts its new
    # step only (converting every step's was the part of a keystroke that grew with the prefix).
    plain: dict[str, list[list[tuple[float, ...]]]] = field(default_factory=dict, repr=False, compare=False)
    # What a reader made of this step's output (core/readers.py each_step), made once per step too.
    read: dict[str, Ranked | float] = field(default_factory=dict, repr=False, compare=False)

    def values(self, what: str) -> list[list[tuple[float, ...]]]:
        """`what` (hidden, cell or a gate) as plain numbers, [layer][direction] → one row of units."""
        got = self.plain.get(what)
        if got is None:
            src = self.hidden if what == "hidden" else self.cell if what == "cell" else self.gates[what]
            assert src is not None
            got = self.plain[what] = [[tuple(row) for row in layer] for layer in src.tolist()]
        return got

    def convert_all(self) -> dict[str, list[list[tuple[float, ...]]]]:
        """Every quantity as plain numbers in one conversion (a step in the heatmap's window shows
        all of them): one read of the tensors instead of one a quantity."""
        if self.plain:  # (some read already: the rest one by one)
            return {what: self.values(what) for what in self.quantities()}
        sources = [self.hidden, *([self.cell] if self.cell is not None else []), *self.gates.values()]
        width = self.hidden.shape[-1]
        flat = torch.cat(sources, -1).tolist()  # [layer][direction] → all quantities' units
        for j, what in enumerate(self.quantities()):
            lo, hi = j * width, (j + 1) * width
            self.plain[what] = [[tuple(row[lo:hi]) for row in layer] for layer in flat]
        return self.plain

    def quantities(self) -> tuple[str, ...]:
        return ("hidden", *(("cell",) if self.cell is not None else ()), *self.gates)

    def keep_only_hidden(self) -> None:
        """Off the heatmap's window: only the hidden state (the unit colouring) is read from now on."""
        if len(self.plain) > 1:
            self.plain = {k: v for k, v in self.plain.items() if k == "hidden"}


class Gathered:
    """The last table's rows, kept from key to key by the predictor: a key at step 500 gathers its
    new step (and the one that left the heatmap's window) only, as a RowEdit (trace_table.py) that
    the predictor's process sends the app. Gathering all 500 again walked 500 step objects, each a
    cache miss once the continuation and saliency had run in between (~0.5 ms of a 1 ms budget).
    Steps are matched by identity (the predictor keeps its step objects; an edit makes new ones,
    and a token that moved is a new token object), compared at C speed. Rows of quantities other
    than the hidden state are kept for the window only (StepView.keep_only_hidden)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # one table at a time (the predictor's thread; tests call freely)
        self.store = RowStore()  # the rows as the app holds them too, once it has applied the edits
        self._steps: list[StepView] = []
        self._tokens: list[Token] = []

    def edit(
        self,
        steps: list[StepView],
        names: list[str],
        layers: int,
        dirs: int,
        first: int,
        tokens: list[Token] | None = None,
    ) -> RowEdit:
        """What changed since the last table, applied to `store` already. `tokens`: the steps'
        tokens, where the caller holds them in a list (each step's own token otherwise)."""
        with self._lock:
            if tokens is None or len(tokens) != len(steps):
                tokens = list(map(attrgetter("token"), steps))
            keys = tuple((name, layer, d) for name in names for layer in range(layers) for d in range(dirs))
            same = keys == self.store.keys
            keep = min(first_different(steps, self._steps), first_different(tokens, self._tokens)) if same else 0
            old_first = self.store.first if same else 0
            added: list[list[Row]] = [[] for _ in keys]
            for i in range(keep, len(steps)):
                self._put(steps[i], keys, i >= first, added)
            patches: list[tuple[int, int, Row]] = []
            for i in range(old_first, min(first, keep)):  # the window moved on: rows it left
                patches += [(k, i, None) for k, key in enumerate(keys) if key[0] != "hidden"]
                steps[i].keep_only_hidden()  # only the hidden state is read from now on
            for i in range(first, min(old_first, keep)):  # the window moved back: rows it takes again
                values = steps[i].values
                patches += [(k, i, values(w)[layer][d]) for k, (w, layer, d) in enumerate(keys) if w != "hidden"]
            texts = tuple(s.token.text for s in steps[keep:])
            spans = tuple((s.token.start, s.token.end) for s in steps[keep:])
            edit = RowEdit(keys, keep, texts, spans, tuple(map(tuple, added)), tuple(patches), first)
            self.store.apply(edit)
            self._steps, self._tokens = list(steps), tokens
            return edit

    @staticmethod
    def _put(step: StepView, keys: tuple[Key, ...], shown: bool, added: list[list[Row]]) -> None:
        """One new step's rows: the hidden state's always, the others while the step is `shown` in
        the window (a step kept from an older prefix may still hold its other rows: dropped)."""
        values = step.convert_all() if shown else {"hidden": step.values("hidden")}
        for rows, (what, layer, d) in zip(added, keys, strict=True):
            rows.append(values[what][layer][d] if shown or what == "hidden" else None)
        if not shown:
            step.keep_only_hidden()


def first_different(a: list[Any], b: list[Any]) -> int:
    """The first index where `a` and `b` hold different objects (their shorter length if none)."""
    same = list(map(is_, a, b))
    return same.index(False) if False in same else len(same)


@dataclass
class Prediction:
    """A typed prefix as the network read it: its tokens (the window's first fed one at
    `window_start`), the steps fed (or generated), what the network says, and notes on the reading."""

    prefix: str
    tokens: list[Token]
    window_start: int
    output: Output
    steps: list[StepView] = field(default_factory=list)
    notes: tuple[str, ...] = ()
    layer_names: dict[tuple[int, int], str] = field(default_factory=dict)  # (layer, direction) of the steps
    gathered: Gathered | None = field(default=None, repr=False, compare=False)  # the predictor's, kept across keys
    # The steps' tokens in one list, where the predictor has it (the fed tokens): the table's edit
    # reads it instead of every step's token (~0.1 ms at 512 steps with cold caches).
    step_tokens: list[Token] | None = field(default=None, repr=False, compare=False)

    @property
    def kind(self) -> str:
        return self.output.family.value

    @property
    def notice(self) -> str | None:
        return "; ".join(self.notes) or None

    @property
    def unknown(self) -> list[str]:
        return [t.text for t in self.tokens if t.unknown]

    def matrix(self, what: str = "hidden", layer: int = 0, direction: int = 0) -> torch.Tensor:
        """(T, H) of one layer and direction over the fed steps; `what` is hidden, cell or a gate."""
        rows = []
        for s in self.steps:
            src = s.hidden if what == "hidden" else s.cell if what == "cell" else s.gates.get(what)
            if src is None:
                continue
            rows.append(src[layer, direction])
        if not rows:
            return torch.zeros(0, 0)
        return torch.stack(rows)

    def table(self) -> TraceTable:
        """The steps' values as plain numbers (built off the UI thread; the view draws from it)."""
        edit = self.row_edit()
        if edit is None:
            return TraceTable((), (), 0)
        assert self.gathered is not None
        return self.gathered.store.table(**self.table_parts())

    def row_edit(self) -> RowEdit | None:
        """How this prediction's rows differ from the last table's (None: no steps, no rows)."""
        if not self.steps:
            return None
        first = max(0, len(self.steps) - HEAT_STEPS)
        layers, dirs = self.steps[0].hidden.shape[:2]
        names = ["hidden"] + (["cell"] if self.steps[0].cell is not None else []) + list(self.steps[0].gates)
        # Rows are gathered (a reference per step), never converted again: see StepView.plain.
        if self.gathered is None:
            self.gathered = Gathered()
        return self.gathered.edit(self.steps, names, layers, dirs, first, self.step_tokens)

    def table_parts(self) -> dict[str, Rows | tuple[str, ...]]:
        """The table's fields besides its rows: an encoder-decoder's attention and what it wrote."""
        out = self.output
        attention = out.attention if isinstance(out, Translated) else ()
        written = (*out.tokens, "</s>")[: len(attention)] if isinstance(out, Translated) else ()
        return {"attention": attention, "written": written}

    def to_json(self, trace: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"prefix": self.prefix, "tokens": [t.text for t in self.tokens], "kind": self.kind}
        if self.unknown:
            out["unknown"] = self.unknown
        if self.notice:
            out["notice"] = self.notice
        if self.window_start:
            out["window_start"] = self.window_start
        out |= self.output.to_json()
        if trace:
            out["steps"] = [
                {
                    "token": s.token.text,
                    "hidden": s.hidden.tolist(),
                    "cell": None if s.cell is None else s.cell.tolist(),
                    "gates": {k: v.tolist() for k, v in s.gates.items()},
                }
                for s in self.steps
            ]
        return out


def step_views(stack: StackTrace, tokens: list[Token], b: int = 0) -> list[StepView]:
    """Split a StackTrace of one sequence into one StepView per step."""
    t_len = stack.output.shape[1]
    views = []
    for t in range(min(t_len, len(tokens))):
        hidden = torch.stack([torch.stack([lt.h[b, t] for lt in row]) for row in stack.layers]).detach()
        cell = None
        if stack.cell == "lstm":
            cell = torch.stack([torch.stack([lt.c[b, t] for lt in row]) for row in stack.layers]).detach()  # type: ignore[index]
        gates = {}
        names = stack.layers[0][0].gates.keys()
        for name in names:
            gates[name] = torch.stack(
                [torch.stack([lt.gates[name][b, t] for lt in row]) for row in stack.layers]
            ).detach()
        views.append(StepView(tokens[t], hidden, cell, gates))
    return views
