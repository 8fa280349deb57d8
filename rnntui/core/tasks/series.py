"""Time-series forecasting: read a window of values, predict the next one (many→one regression).

The built-in series are sums of two sines with random frequencies, phases and amplitudes, scaled so
the targets have variance ≈ 1: predicting the mean scores MSE ≈ 1, which is the baseline line.
Own data: `task.path=FILE.csv task.column=NAME` — the column is z-scored with the statistics of its
first 80 % (training) and the last 20 % is held out.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import re
from array import array
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rnntui.core.errors import SpecError
from rnntui.core.fileio import read_regular
from rnntui.core.tasks.base import Param, Task
from rnntui.core.tasks.data import Batch, Token
from rnntui.core.tasks.kinds import Family, InputKind, OutputKind
from rnntui.core.tasks.owntext import MAX_TEXT_BYTES, Source, check_unchanged, fingerprint
from rnntui.core.tasks.rescan import Rescan

if TYPE_CHECKING:
    import torch
else:  # imported at its first use: the app reads this module without torch (core/lazy_torch.py)
    from rnntui.core.lazy_torch import torch

FLOAT = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
# E[a²] for a ~ U[0.5, 1] is 7/12; two sines of that amplitude have variance 7/12 in total.
SINE_SCALE = 1.0 / math.sqrt(7.0 / 12.0)


WORD = re.compile(r"[^\s,;]+")


def tokenize_floats(text: str, marker: str | None = None, pos: int = 0) -> list[Token]:
    """Split on whitespace/commas; each number is a token, anything else is marked unknown. From
    `pos` on (offsets stay the text's own)."""
    out = []
    for m in WORD.finditer(text, pos):
        word = m.group()
        flag = 0.0
        if marker and word.endswith(marker):
            word, flag = word[: -len(marker)], 1.0
        if FLOAT.fullmatch(word):
            v = float(word)
            if math.isfinite(v):
                value = (v, flag) if marker else (v,)
                out.append(Token(m.group(), m.start(), m.end(), value=value))
                continue
        out.append(Token(m.group(), m.start(), m.end(), value=(0.0, 0.0) if marker else (0.0,), unknown=True))
    return out


MAX_VALUE = 1e15


def read_csv_column(path: str, column: str) -> tuple[array, Source]:
    """The column's numbers (8 bytes each, no Python float per value) and the file's fingerprint."""
    p = Path(path).expanduser()
    raw = read_regular(p, MAX_TEXT_BYTES, what="task.path")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError(f"task.path {path!r} is not a UTF-8 CSV file") from None
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(rows, None)
        if not header:
            raise SpecError(f"task.path {path!r} is empty")
        if column in header:
            idx, first = header.index(column), None
        elif column.isascii() and column.isdigit() and int(column) < len(header):
            idx = int(column)
            first = None if not FLOAT.fullmatch(header[idx].strip() or "x") else header
        else:
            shown = ", ".join(header)
            raise SpecError(f"task.column {column!r} is not in {path!r}; columns: {shown[:200]}")
        values = array("d")
        for n, row in enumerate(itertools.chain([first] if first else [], rows), start=1 if first else 2):
            if idx >= len(row) or not row[idx].strip():
                continue
            try:
                value = float(row[idx])
            except ValueError:
                raise SpecError(f"{path!r} line {n}: {row[idx][:40]!r} in column {column!r} is not a number") from None
            if not math.isfinite(value):  # one inf or nan would make every loss NaN
                raise SpecError(f"{path!r} line {n}: {row[idx][:40]!r} in column {column!r} is not a finite number")
            if abs(value) > MAX_VALUE:  # past this the float32 mean and spread overflow to inf
                raise SpecError(f"{path!r} line {n}: {row[idx][:40]!r} in column {column!r} is beyond ±1e15")
            values.append(value)
    except csv.Error as exc:
        raise SpecError(f"task.path {path!r} is not a readable CSV file: {exc}") from None
    return values, fingerprint(raw, len(raw))


class SineTask(Task):
    name = "sine"
    title = "forecast the next value of a wave"
    params = {
        "seq_len": Param(int, 40, "values the model reads before forecasting", lo=2, hi=10_000),
        "noise": Param(float, 0.0, "standard deviation of noise added to the inputs", lo=0, hi=100),
        "path": Param(str | None, None, "a CSV file with your own series"),
        "column": Param(str, "0", "the CSV column: a header name or a 0-based index"),
    }
    patterns = ("many_to_one",)
    input_kind = InputKind.VECTORS
    output_kind = OutputKind.VALUES
    family = Family.FORECAST
    metric_name = "mse"
    input_dim = 1
    output_dim = 1
    prefix_hint = "type values separated by spaces, e.g. 0 0.5 0.9 1 0.8"

    def __init__(self, params: Mapping[str, Any] | None = None, state: Mapping[str, Any] | None = None):
        super().__init__(params, state)
        if self.p["seq_len"] < 2:
            raise SpecError("task.seq_len must be 2 or more")
        self.series: torch.Tensor | None = None
        self.norm = (0.0, 1.0)
        self._rescan: tuple[tuple[float, float], Rescan] | None = None  # tokenize's, for its norm
        self.source: Source | None = None
        self._saved: Source | None = None  # the fingerprint of the CSV a checkpoint was trained on
        self._from_state = state is not None
        if state is not None:
            norm = state.get("norm", [0.0, 1.0])
            ok = isinstance(norm, list | tuple) and len(norm) == 2
            ok = ok and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in norm)
            if not ok or norm[1] <= 0:
                raise SpecError("the checkpoint's normalisation (mean, std) is damaged")
            self.norm = (float(norm[0]), float(norm[1]))
            self._saved = Source.from_state(state.get("source"))
        elif self.p["path"]:
            self._load()

    @classmethod
    def max_length(cls, params: Mapping[str, Any]) -> int:
        return int(params["seq_len"])

    def _load(self) -> None:
        values, self.source = read_csv_column(self.p["path"], self.p["column"])
        check_unchanged(self.p["path"], self._saved, self.source)
        if len(values) < 5 * (self.p["seq_len"] + 1):
            raise SpecError(
                f"column {self.p['column']!r} has {len(values)} values; need at least "
                f"{5 * (self.p['seq_len'] + 1)} for task.seq_len={self.p['seq_len']}"
            )
        s = torch.tensor(values, dtype=torch.float32)
        split = int(len(s) * 0.8)
        if not self._from_state:  # a resumed run keeps the normalisation its weights learned
            mean, std = float(s[:split].mean()), float(s[:split].std())
            self.norm = (mean, std if std > 0 and math.isfinite(std) else 1.0)
        self.series = (s - self.norm[0]) / self.norm[1]
        self.split = split

    def load_data(self) -> None:
        if self.p["path"] and self.series is None:
            self._load()

    def state(self) -> dict[str, Any]:
        return {"norm": list(self.norm), "source": self.source.to_state() if self.source is not None else None}

    def _waves(self, g: torch.Generator, n: int) -> Batch:
        t = torch.arange(self.p["seq_len"] + 1, dtype=torch.float32)
        freq = 0.1 + 0.4 * torch.rand(n, 2, 1, generator=g)
        phase = 2 * math.pi * torch.rand(n, 2, 1, generator=g)
        amp = 0.5 + 0.5 * torch.rand(n, 2, 1, generator=g)
        wave = (amp * torch.sin(freq * t + phase)).sum(1) * SINE_SCALE  # (n, T+1)
        x = wave[:, :-1] + self.p["noise"] * torch.randn(n, self.p["seq_len"], generator=g)
        return Batch(x=x.unsqueeze(-1), y=wave[:, -1])

    def _windows(self, starts: torch.Tensor) -> Batch:
        assert self.series is not None
        offs = starts.unsqueeze(1) + torch.arange(self.p["seq_len"] + 1)
        w = self.series[offs]
        return Batch(x=w[:, :-1].unsqueeze(-1), y=w[:, -1])

    def train_batch(self, step: int, batch_size: int, seed: int) -> Batch:
        g = self.generator(seed, step)
        if self.series is None:
            return self._waves(g, batch_size)
        high = self.split - self.p["seq_len"] - 1
        return self._windows(torch.randint(0, high + 1, (batch_size,), generator=g))

    def val_batches(self, batch_size: int) -> list[Batch]:
        if self.series is None:
            g = self.generator(99991, 0, salt=3)
            return [self._waves(g, batch_size) for _ in range(max(1, 512 // batch_size))]
        starts = torch.arange(self.split, len(self.series) - self.p["seq_len"])
        return [self._windows(starts[i : i + batch_size]) for i in range(0, len(starts), batch_size)]

    def prefix_reading(self) -> dict[str, Any]:
        return {"kind": "floats", "marker": None, "norm": list(self.norm)}

    def tokenize(self, text: str) -> list[Token]:
        rescan = self._rescan
        if rescan is None or rescan[0] != self.norm:  # tokens carry normalised values: new norm, new reading
            rescan = self._rescan = (self.norm, Rescan(self._normalised))
        return rescan[1](text)

    def _normalised(self, text: str, pos: int) -> list[Token]:
        toks = tokenize_floats(text, pos=pos)
        mean, std = self.norm
        for t in toks:
            assert t.value is not None
            t.value = ((t.value[0] - mean) / std,)
        return toks

    @property
    def baseline(self) -> float:
        return 1.0
