"""What a run has measured beyond its training loss: the last evaluation, the goal, the final numbers.

The validation batches are built once, on the training device, on first use; the gradient probe takes
its batch from them (the same examples every time, so successive probes differ only by the weights).
"""

from __future__ import annotations

import torch

from rnntui.core import events as ev
from rnntui.core.model import SequenceModel
from rnntui.core.spec_types import ExperimentSpec
from rnntui.core.tasks.base import Metrics, Task
from rnntui.core.tasks.data import Batch

PROBE_BATCH = 16  # examples in the gradient probe's batch: its cost grows with them, its curve barely


class Scores:
    def __init__(self, spec: ExperimentSpec, task: Task, device: torch.device) -> None:
        self.spec, self.task, self.device = spec, task, device
        self.last: Metrics | None = None
        self.goal_met = False
        self._val: list[Batch] | None = None

    def val_batches(self) -> list[Batch]:
        if self._val is None:
            size = max(64, self.spec.train.batch_size)
            self._val = [b.to(self.device) for b in self.task.val_batches(size)]
        return self._val

    def probe_batch(self) -> Batch:
        b = self.val_batches()[0]
        n = min(PROBE_BATCH, b.x.shape[0])
        return Batch(
            x=b.x[:n],
            y=b.y[:n],
            lengths=None if b.lengths is None else b.lengths[:n],
            y_in=None if b.y_in is None else b.y_in[:n],
        )

    def evaluate(self, model: SequenceModel, step: int) -> ev.Evaluated:
        model.eval()
        m = self.task.evaluate(model, self.val_batches())
        samples = self.task.samples(model)  # [] but for language models
        model.train()
        self.last = m
        return ev.Evaluated(
            step=step,
            val_loss=m.val_loss,
            metric_name=self.task.metric_name,
            metric=m.metric,
            metrics=self._values(m),
            samples=samples,
        )

    def goal_reached(self, step: int) -> ev.GoalReached | None:
        """The event, the first time the last evaluation meets the spec's goal."""
        g = self.spec.goal
        value = None if g is None or self.goal_met else self.metric_value(g.metric)
        if g is None or value is None or not self._counts(value):
            return None
        self.goal_met = True
        return ev.GoalReached(step=step, metric=g.metric, value=value, threshold=g.threshold)

    def _counts(self, value: float) -> bool:
        """The goal is met by the last evaluation (its metric, and its loss below the baseline)."""
        assert self.spec.goal is not None
        return self.spec.goal.met_by(value, self.last.val_loss if self.last else None, self.task.baseline)

    def _values(self, m: Metrics) -> dict[str, float]:
        return {"val_loss": m.val_loss, self.task.metric_name: m.metric, **m.extras}

    def metric_value(self, name: str) -> float | None:
        return None if self.last is None else self._values(self.last).get(name)

    def final_numbers(self, last_loss: float | None) -> dict[str, float | str | None]:
        """The last losses and the lesson's metric, named: the goal's metric when there is a goal."""
        name = self.spec.goal.metric if self.spec.goal else self.task.metric_name
        return {
            "loss": last_loss,
            "val_loss": self.last.val_loss if self.last else None,
            "metric": self.metric_value(name),
            "metric_name": name,
        }

    def goal_summary(self) -> dict[str, float | str | bool | None] | None:
        g = self.spec.goal
        if g is None:
            return None
        value = self.metric_value(g.metric)
        return {
            "metric": g.metric,
            "threshold": g.threshold,
            "direction": g.direction,
            "baseline": g.baseline if g.baseline is not None else self.task.baseline,
            "value": value,
            "met": value is not None and self._counts(value),
        }
