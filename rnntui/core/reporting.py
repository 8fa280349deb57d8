"""From the steps' device-side telemetry to events, and from events to the run's metrics.jsonl.

`PendingSteps` holds one telemetry row per step since the last report (step_engine.Row), on the
training device. `report()` stacks them and reads them in one host transfer, the only one a report
costs, and turns them into a `Progress` event: every step is a point, nothing is dropped between
reports. It also says whether a step went non-finite; the points stop at that step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from rnntui.core import events as ev
from rnntui.core.runs import RunDir
from rnntui.core.step_engine import Row, clip_as_float32, clipped

OnEvent = Callable[[ev.Event], None]
# What metrics.jsonl keeps: Started and Checkpointed describe the process, not the curve.
RECORDED = (ev.Progress, ev.Evaluated, ev.GradientFlow, ev.Diverged, ev.GoalReached, ev.Finished)


@dataclass(frozen=True)
class Window:
    """The report's context: the wall time its steps took, the run's training time so far, the
    learning rate and the intra-op threads (0 off the CPU)."""

    seconds: float
    elapsed_s: float
    lr: float
    threads: int


class PendingSteps:
    def __init__(self, layer_names: list[str], clip: float | None) -> None:
        self.layer_names = layer_names
        self.clip32 = clip_as_float32(clip)
        self.rows: list[torch.Tensor] = []
        self.tokens = 0

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, row: torch.Tensor, tokens: int) -> None:
        self.rows.append(row)
        self.tokens += tokens

    def clear(self) -> None:
        self.rows.clear()
        self.tokens = 0

    def report(self, last_step: int, window: Window) -> tuple[ev.Progress, bool]:
        """The pending steps, which end at step `last_step`, as one Progress event; True when one
        of them is not finite (the event's points end there). The pending list is emptied."""
        rows: list[list[float]] = torch.stack(self.rows).tolist()  # the one host sync per report
        first = last_step - len(rows) + 1
        bad = next((i for i, r in enumerate(rows) if not all(map(math.isfinite, r[: Row.FIRST_LAYER]))), None)
        kept = rows if bad is None else rows[: bad + 1]
        points = [self._point(first + i, r, window.lr) for i, r in enumerate(kept)]
        seconds = max(window.seconds, 1e-9)
        progress = ev.Progress(
            points=points,
            tokens_per_s=self.tokens / seconds,
            steps_per_s=len(rows) / seconds,
            elapsed_s=window.elapsed_s,
            threads=window.threads,
        )
        self.clear()
        return progress, bad is not None

    def _point(self, step: int, row: list[float], lr: float) -> ev.StepPoint:
        return ev.StepPoint(
            step=step,
            loss=row[Row.LOSS],
            grad_norm=row[Row.GRAD_NORM],
            clipped=clipped(row[Row.GRAD_NORM], self.clip32),
            layer_norms=dict(zip(self.layer_names, row[Row.FIRST_LAYER :], strict=True)),
            lr=lr,
        )


def step_records(progress: ev.Progress) -> list[dict[str, object]]:
    """metrics.jsonl's line for each step of a report."""
    return [
        {
            "event": "step",
            "step": p.step,
            "loss": p.loss,
            "grad_norm": p.grad_norm,
            "clipped": p.clipped,
            "layer_norms": p.layer_norms,
            "lr": p.lr,
        }
        for p in progress.points
    ]


def recorder(run_dir: RunDir | None, on_event: OnEvent | None) -> OnEvent:
    """`on_event`, after appending the event to the run's metrics (when there is a run)."""

    def emit(e: ev.Event) -> None:
        if run_dir is not None and isinstance(e, RECORDED):
            run_dir.append_metrics(step_records(e) if isinstance(e, ev.Progress) else [e.to_dict()])
        if on_event is not None:
            on_event(e)

    return emit
