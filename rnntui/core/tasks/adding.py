"""The adding problem (Hochreiter & Schmidhuber 1997): the vanishing-gradient lesson.

Each step carries a value in U[0, 1] and a marker; exactly two steps are marked, one in each half
of the sequence. The target is the sum of the two marked values. Predicting 1.0 always scores
MSE = Var(U + U) = 1/6 ≈ 0.167: a network must carry the first marked value across ~T/2 steps
to beat that, which a vanilla RNN's vanishing gradient prevents at T = 100.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rnntui.core.errors import SpecError
from rnntui.core.tasks.base import Param, Task
from rnntui.core.tasks.data import Batch, Token
from rnntui.core.tasks.kinds import Family, InputKind, OutputKind
from rnntui.core.tasks.rescan import Rescan
from rnntui.core.tasks.series import tokenize_floats

if TYPE_CHECKING:
    import torch
else:  # imported at its first use: the app reads this module without torch (core/lazy_torch.py)
    from rnntui.core.lazy_torch import torch


class AddingTask(Task):
    name = "adding"
    title = "the adding problem"
    params = {"seq_len": Param(int, 100, "steps per sequence; longer is harder", lo=4, hi=10_000)}
    patterns = ("many_to_one",)
    input_kind = InputKind.VECTORS
    output_kind = OutputKind.VALUES
    family = Family.FORECAST
    metric_name = "mse"
    input_dim = 2
    output_dim = 1
    prefix_hint = "values with two marked by *, e.g. 0.2 0.7* 0.1 0.4* 0.9"

    @classmethod
    def max_length(cls, params: Mapping[str, Any]) -> int:
        return int(params["seq_len"])

    def __init__(self, params: Mapping[str, Any] | None = None, state: Mapping[str, Any] | None = None):
        super().__init__(params, state)
        if self.p["seq_len"] < 4:
            raise SpecError("task.seq_len must be 4 or more for the adding problem")
        self._rescan = Rescan(marked_floats)

    def make(self, g: torch.Generator, n: int) -> Batch:
        t = self.p["seq_len"]
        values = torch.rand(n, t, generator=g)
        half = t // 2
        first = torch.randint(0, half, (n,), generator=g)
        second = torch.randint(half, t, (n,), generator=g)
        marks = torch.zeros(n, t)
        rows = torch.arange(n)
        marks[rows, first] = 1.0
        marks[rows, second] = 1.0
        y = values[rows, first] + values[rows, second]
        return Batch(x=torch.stack([values, marks], dim=-1), y=y)

    def train_batch(self, step: int, batch_size: int, seed: int) -> Batch:
        return self.make(self.generator(seed, step), batch_size)

    def val_batches(self, batch_size: int) -> list[Batch]:
        g = self.generator(77777, 0, salt=5)
        return [self.make(g, batch_size) for _ in range(max(1, 1024 // batch_size))]

    def prefix_reading(self) -> dict[str, Any]:
        return {"kind": "floats", "marker": "*", "norm": [0.0, 1.0]}

    def tokenize(self, text: str) -> list[Token]:
        return self._rescan(text)

    @property
    def baseline(self) -> float:
        return 1.0 / 6.0


def marked_floats(text: str, pos: int) -> list[Token]:
    """The adding problem's numbers, `*` marking the two to add (from pos on)."""
    return tokenize_floats(text, marker="*", pos=pos)
