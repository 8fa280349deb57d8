"""What the trainer reports. Each event is plain data; `to_dict()` is the JSON-lines form."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


@dataclass(frozen=True)
class Event:
    kind = "event"

    def to_dict(self) -> dict[str, Any]:
        plain = {k: v.value if isinstance(v, Enum) else v for k, v in dataclasses.asdict(self).items()}
        return {"event": self.kind, **plain}


@dataclass(frozen=True)
class Started(Event):
    kind = "started"
    run_dir: str | None
    device: str
    params: int
    spec_name: str
    description: str
    step: int = 0


@dataclass(frozen=True)
class StepPoint:
    step: int
    loss: float
    grad_norm: float  # before clipping
    clipped: bool
    layer_norms: dict[str, float]
    lr: float


@dataclass(frozen=True)
class Progress(Event):
    """Every step since the last report; nothing is dropped between reports."""

    kind = "progress"
    points: list[StepPoint]
    tokens_per_s: float
    steps_per_s: float
    elapsed_s: float
    threads: int = 0  # intra-op threads training on the CPU (0: another device)


@dataclass(frozen=True)
class Evaluated(Event):
    kind = "evaluated"
    step: int
    val_loss: float
    metric_name: str
    metric: float
    metrics: dict[str, float] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class GradientFlow(Event):
    """‖∂L/∂h_t‖ per step t, mean over the batch, for each layer (and direction) of the stack."""

    kind = "gradient_flow"
    step: int
    norms: dict[str, list[float]]
    probe_s: float


@dataclass(frozen=True)
class Diverged(Event):
    kind = "diverged"
    step: int
    loss: float
    grad_norm: float
    restored_step: int
    advice: str
    settings: tuple[str, ...] = ()  # the advice's settings to try, for a short list (the Train view)


@dataclass(frozen=True)
class GoalReached(Event):
    kind = "goal_reached"
    step: int
    metric: str
    value: float
    threshold: float


@dataclass(frozen=True)
class Checkpointed(Event):
    kind = "checkpointed"
    step: int
    path: str


class RunEnd(Enum):
    """Why `Trainer.run_until` returned; the value is the reason `Trainer.finish` reports."""

    TARGET = "completed"
    GOAL = "goal"
    DIVERGED = "diverged"
    HALTED = "stopped"


@dataclass(frozen=True)
class Finished(Event):
    kind = "finished"
    step: int
    reason: RunEnd
    run_dir: str | None
    initial_loss: float | None
    final: dict[str, float | str | None]  # loss, val_loss, metric and metric_name
    goal: dict[str, Any] | None
    elapsed_s: float
