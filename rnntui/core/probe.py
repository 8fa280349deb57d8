"""The gradient-through-time probe and its time budget: it may take ≤ 4 % of training time.

Each probe is timed; the next one waits until the training time since is 25× that cost, so the probe
keeps to its share on any model and machine. `budget = 0` keeps it out of training (benchmarks and
tests); a run's end still probes, for the curve's last point.
"""

from __future__ import annotations

from collections.abc import Callable

from rnntui.core import events as ev
from rnntui.core.gradflow import gradient_through_time
from rnntui.core.model import SequenceModel
from rnntui.core.tasks.data import Batch

PROBE_BUDGET = 0.04


class GradientProbe:
    def __init__(self, batch: Callable[[], Batch], budget: float = PROBE_BUDGET) -> None:
        self.batch = batch  # the same validation examples every time: probes differ by the weights only
        self.budget = budget
        self.step: int | None = None  # the step of the last probe; None: none yet
        self.cost = 0.0  # seconds the last probe took
        self.trained = 0.0  # seconds of training steps since (not of reports or evaluations)

    def due(self) -> bool:
        return self.budget > 0 and self.trained * self.budget >= self.cost

    def run(self, model: SequenceModel, step: int, clock: Callable[[], float]) -> ev.GradientFlow:
        batch = self.batch()
        t0 = clock()
        norms = gradient_through_time(model, batch)
        self.cost, self.trained, self.step = clock() - t0, 0.0, step
        return ev.GradientFlow(step=step, norms=norms, probe_s=self.cost)
