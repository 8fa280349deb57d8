"""What the app and its training process say to each other: frozen dataclasses, pickled over a pipe.

parent → child (`Command`): Run, Step, Pause, Resume, Stop, WantWeights, Close.
child → parent (`Reply`): Ready or StartFailed once; then Event (a trainer event), WeightsCopy (a CPU copy
of the weights, for the predictor), Paused and Stepped (with the exact step), Idle (a run ended), and
Crashed (a traceback, just before an exit nobody asked for). The parent adds Lost (the process ended
unasked) and Closed (it ended after Close).

Every command is a request: the parent never waits for its answer, which arrives as a reply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rnntui.core import events as ev
from rnntui.core.spec import ExperimentSpec

if TYPE_CHECKING:  # the app's UI imports this module, and must not import torch with it
    import torch

    Weights = dict[str, torch.Tensor]


@dataclass(frozen=True)
class Order:
    """How the child builds its trainer: a fresh one for `spec`, or `resume` a run directory."""

    spec: ExperimentSpec | None = None
    resume: str | None = None
    threads: int | None = None  # intra-op threads; None: the trainer's choice for this model


# ---- commands (parent → child) --------------------------------------------------------------------
@dataclass(frozen=True)
class Command:
    pass


@dataclass(frozen=True)
class Run(Command):
    every_s: float  # report cadence
    runs_base: str | None  # where a trainer without a run directory creates one (None: the default)
    steps: int | None = None  # train up to this many steps in all (default: the spec's)


@dataclass(frozen=True)
class Step(Command):
    """One step, when idle or paused."""


@dataclass(frozen=True)
class Pause(Command):
    """Stop stepping after the current step; Paused says which step that was."""


@dataclass(frozen=True)
class Resume(Command):
    pass


@dataclass(frozen=True)
class Stop(Command):
    """End the run: it evaluates, checkpoints and reports Finished, then Idle."""


@dataclass(frozen=True)
class WantWeights(Command):
    """While wanted (Predict is on screen), weights come every WEIGHTS_EVERY_S of training."""

    wanted: bool


@dataclass(frozen=True)
class Close(Command):
    """Stop (the run checkpoints first) and exit."""


# ---- replies (child → parent; the last two come from the parent's reader) -------------------------
@dataclass(frozen=True)
class Reply:
    pass


@dataclass(frozen=True)
class Ready(Reply):
    spec: ExperimentSpec
    step: int
    params: int
    device: str
    threads: int
    run_dir: str | None
    weights: Weights = field(repr=False)
    # The task's vocabulary and data fingerprint: the app's predictor reads prefixes with exactly the
    # trainer's vocabulary (a resumed run's is the checkpoint's, not one rebuilt from a changed file).
    task_state: dict[str, Any] = field(repr=False)
    baseline: float | None = None  # the task's reference loss, for the loss chart
    # An opened run's past (its steps, evaluations and probes up to the checkpoint): its curves.
    history: tuple[ev.Event, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class StartFailed(Reply):
    reason: str  # one line a person can act on ("run … in use by pid N")


@dataclass(frozen=True)
class Event(Reply):
    event: ev.Event


@dataclass(frozen=True)
class WeightsCopy(Reply):
    weights: Weights = field(repr=False)


@dataclass(frozen=True)
class Paused(Reply):
    step: int


@dataclass(frozen=True)
class Stepped(Reply):
    step: int


@dataclass(frozen=True)
class Idle(Reply):
    step: int


@dataclass(frozen=True)
class RunFailed(Reply):
    """A run could not start (e.g. a runs folder that cannot be written); nothing trained."""

    reason: str


@dataclass(frozen=True)
class Crashed(Reply):
    traceback: str


@dataclass(frozen=True)
class Lost(Reply):
    reason: str


@dataclass(frozen=True)
class Closed(Reply):
    pass
