"""What the app and its training process say to each other: frozen dataclasses, pickled over a pipe.

parent → child (`Command`): Run, Step, Pause, Resume, Stop, WantWeights, Close.
child → parent (`Reply`): Ready or StartFailed once; then Event (a trainer event), WeightsCopy (a CPU copy
of the weights, for the predictor: the first one right after Ready, which carries no tensor so the
app reads it without torch), Paused and Stepped (with the exact step), Idle (a run ended), and
Crashed (a traceback, just before an exit nobody asked for). The parent adds Lost (the process ended
unasked) and Closed (it ended after Close).

Every command is a request: the parent never waits for its answer, which arrives as a reply.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rnntui.core import events as ev
from rnntui.core.spec import ExperimentSpec

if TYPE_CHECKING:  # the app's UI imports this module, and must not import torch with it
    import torch


class Weights(Mapping[str, "torch.Tensor"]):
    """A CPU copy of a network's weights (name → tensor) that crosses the pipe still pickled: the
    app's reader thread passes it on without importing torch (a second or more, during which every
    reply behind it waited: measured, a run's start reached the app 0.8–6 s after the training
    process began it, on a busy 2-core machine), and whoever reads it first (the predictor's own
    thread) unpickles it there."""

    def __init__(self, tensors: Mapping[str, torch.Tensor]) -> None:
        self._tensors: dict[str, torch.Tensor] | None = dict(tensors)
        self._blob: bytes | None = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        with self._lock:
            if self._blob is None:
                self._blob = pickle.dumps(self._tensors, protocol=pickle.HIGHEST_PROTOCOL)
            return {"blob": self._blob}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._tensors, self._blob, self._lock = None, state["blob"], threading.Lock()

    def _loaded(self) -> dict[str, torch.Tensor]:
        with self._lock:
            if self._tensors is None:
                self._tensors, self._blob = pickle.loads(self._blob), None  # type: ignore[arg-type]
            return self._tensors

    def __getitem__(self, name: str) -> torch.Tensor:
        return self._loaded()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


@dataclass(frozen=True)
class Order:
    """How the child builds its trainer: a fresh one for `spec`, for the preset file at `preset` (read
    there: the app starts its first network before it has imported the task classes), or `resume` a
    run directory."""

    spec: ExperimentSpec | None = None
    resume: str | None = None
    threads: int | None = None  # intra-op threads; None: the trainer's choice for this model
    preset: str | None = None


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
