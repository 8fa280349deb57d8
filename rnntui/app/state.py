"""The app's one training state: an immutable value the App replaces as replies arrive, and every
view watches (Textual reactive + data_bind). Where a number on screen comes from: here.

`reduce(state, reply)` is the only place that turns what the training process says into state;
the status line is a function of the state (`status_line`), never a string stored beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import Enum

from rnntui.core import events as ev
from rnntui.core import trainer_protocol as p
from rnntui.core.spec import ExperimentSpec


class Phase(Enum):
    LOADING = "loading torch"
    BUILDING = "building"
    READY = "ready"  # a network is built and idle
    TRAINING = "training"
    PAUSED = "paused"  # inside a run
    FINISHED = "finished"  # a run ended; `finished` says why
    BLOCKED = "blocked"  # idle, and the Build form does not describe a network that can train
    FAILED = "failed"  # the network could not be built
    LOST = "lost"  # the training process ended unasked

    @property
    def in_run(self) -> bool:
        return self in (Phase.TRAINING, Phase.PAUSED)

    @property
    def idle(self) -> bool:
        return self in (Phase.READY, Phase.FINISHED)


class Waiting(Enum):
    """A request sent and not answered yet: the status line says so until the answer arrives."""

    PAUSE = "pausing…"
    STEP = "one step…"
    STOP = "stopping: the run is saved…"


@dataclass(frozen=True)
class Curves:
    """Every reported step, in order (append-only: each report makes a new, longer value)."""

    steps: tuple[int, ...] = ()
    losses: tuple[float, ...] = ()
    grad_norms: tuple[float, ...] = ()
    layer_norms: tuple[tuple[str, tuple[float, ...]], ...] = ()  # (layer, norms) in layer order
    val: tuple[tuple[int, float], ...] = ()  # (step, validation loss)

    def extended(self, points: list[ev.StepPoint]) -> Curves:
        names = list(points[0].layer_norms) if points else []
        old = dict(self.layer_norms)
        layers = tuple((n, old.get(n, ()) + tuple(pt.layer_norms.get(n, math.nan) for pt in points)) for n in names)
        return replace(
            self,
            steps=self.steps + tuple(pt.step for pt in points),
            losses=self.losses + tuple(pt.loss for pt in points),
            grad_norms=self.grad_norms + tuple(pt.grad_norm for pt in points),
            layer_norms=layers or self.layer_norms,
        )

    def rewound(self, step: int) -> Curves:
        """Back to `step` (a divergence restored the weights from then)."""
        keep = sum(1 for s in self.steps if s <= step)
        layers = tuple((n, v[:keep]) for n, v in self.layer_norms)
        val = tuple(v for v in self.val if v[0] <= step)
        return Curves(self.steps[:keep], self.losses[:keep], self.grad_norms[:keep], layers, val)


@dataclass(frozen=True)
class Flow:
    """Gradient through time: the first probe and the latest (per layer and direction)."""

    first_step: int
    first: dict[str, list[float]]
    latest_step: int
    latest: dict[str, list[float]]


@dataclass(frozen=True)
class Notice:
    event: ev.GoalReached | ev.Diverged

    @property
    def style_class(self) -> str:
        """The CSS class that colours the notice: its kind follows from the event's type."""
        return "-diverged" if isinstance(self.event, ev.Diverged) else "-goal"


@dataclass(frozen=True)
class TrainingState:
    phase: Phase = Phase.LOADING
    spec: ExperimentSpec | None = None
    step: int = 0
    params: int | None = None
    device: str = "…"
    threads: int = 0
    run_dir: str | None = None
    baseline: float | None = None
    loss: float | None = None
    val_loss: float | None = None
    metric_name: str = ""
    metric: float | None = None
    tokens_per_s: float | None = None
    elapsed: float = 0.0
    curves: Curves = field(default_factory=Curves)
    flow: Flow | None = None
    samples: tuple[str, ...] = ()
    samples_at: int = 0  # the step the samples were drawn at
    notice: Notice | None = None
    finished: ev.RunEnd | None = None  # why the last run ended
    error: str | None = None  # why the network cannot train (failed, lost, no run folder)
    # The Build form's own state, whatever the phase: a run in progress is not the form's to stop.
    form_error: str | None = None  # the form describes no network that can train (blocks a new run)
    pending: ExperimentSpec | None = None  # an edit that needs a new network, made while training
    waiting: Waiting | None = None
    lesson: int = 0  # counts the presets and runs opened: a new lesson starts Predict over

    @property
    def total(self) -> int:
        return self.spec.train.steps if self.spec is not None else 0

    @property
    def steps_left(self) -> bool:
        return self.step < self.total

    @property
    def idle_phase(self) -> Phase:
        """What an idle network is: blocked by the form, or ready/finished."""
        if self.form_error is not None:
            return Phase.BLOCKED
        return Phase.FINISHED if self.finished else Phase.READY


def ready_state(state: TrainingState, ready: p.Ready) -> TrainingState:
    """A new training process is up: a fresh state for its spec (the device and size it reports),
    with an opened run's past as if it had just been trained."""
    fresh = TrainingState(
        lesson=state.lesson,
        phase=Phase.BLOCKED if state.form_error is not None else Phase.READY,
        form_error=state.form_error,  # typed while it was built
        spec=ready.spec,
        step=ready.step,
        params=ready.params,
        device=ready.device,
        threads=ready.threads,
        run_dir=ready.run_dir,
        baseline=ready.baseline,
    )
    for e in ready.history:
        fresh = on_event(fresh, e)
    return replace(fresh, step=ready.step, notice=None)


def reduce(state: TrainingState, reply: p.Reply) -> TrainingState:
    """The state after `reply` from the training process."""
    if isinstance(reply, p.Ready):
        return ready_state(state, reply)
    if isinstance(reply, p.Event):
        return on_event(state, reply.event)
    if isinstance(reply, p.Paused):
        phase = Phase.PAUSED if state.phase is Phase.TRAINING else state.phase  # (a pause too late: idle)
        return replace(state, phase=phase, step=reply.step, waiting=None)
    if isinstance(reply, p.Stepped):
        phase = Phase.PAUSED if state.phase is Phase.PAUSED else Phase.BLOCKED if state.form_error else Phase.READY
        return replace(state, step=reply.step, phase=phase, waiting=None)
    if isinstance(reply, p.Idle):  # a run ended (by itself, a stop, a pause too late)
        return replace(state, phase=state.idle_phase, step=reply.step, waiting=None)
    if isinstance(reply, p.RunFailed):  # nothing trained; Idle follows
        return replace(state, error=reply.reason)
    if isinstance(reply, p.StartFailed):
        return replace(state, phase=Phase.FAILED, error=reply.reason)
    if isinstance(reply, p.Lost):
        return replace(state, phase=Phase.LOST, error=reply.reason)
    return state


def on_event(state: TrainingState, e: ev.Event) -> TrainingState:
    if isinstance(e, ev.Progress) and e.points:
        last = e.points[-1]
        return replace(
            state,
            step=last.step,
            loss=last.loss,
            # One step's own speed (s) leaves out the reports and the UI a run shares the machine
            # with: read as the training speed it overstated it ~3×; a run's figure stays.
            tokens_per_s=state.tokens_per_s if state.waiting is Waiting.STEP else e.tokens_per_s,
            elapsed=e.elapsed_s,
            threads=e.threads or state.threads,
            curves=state.curves.extended(e.points),
        )
    if isinstance(e, ev.Evaluated):
        name, value = e.metric_name, e.metric
        goal = state.spec.goal if state.spec is not None else None
        if goal and goal.metric in e.metrics:
            name, value = goal.metric, e.metrics[goal.metric]
        curves = replace(state.curves, val=state.curves.val + ((e.step, e.val_loss),))
        return replace(
            state,
            val_loss=e.val_loss,
            metric_name=name,
            metric=value,
            curves=curves,
            samples=tuple(e.samples[:2]) or state.samples,
            samples_at=e.step if e.samples else state.samples_at,
        )
    if isinstance(e, ev.GradientFlow):
        flow = state.flow
        first = (flow.first_step, flow.first) if flow else (e.step, e.norms)
        return replace(state, flow=Flow(first[0], first[1], e.step, e.norms))
    if isinstance(e, ev.Diverged):
        step = e.restored_step  # the weights went back there: so do the numbers and the curves
        return replace(state, step=step, curves=state.curves.rewound(step), notice=Notice(e))
    if isinstance(e, ev.GoalReached):
        return replace(state, notice=Notice(e))
    if isinstance(e, ev.Started):
        return replace(state, step=e.step, run_dir=e.run_dir or state.run_dir, finished=None)
    if isinstance(e, ev.Finished):
        return replace(state, step=e.step, finished=e.reason, run_dir=e.run_dir or state.run_dir)
    return state


ALL_DONE = "all steps are done: r resets the weights, or raise steps in Build"  # s and space say it


def status_line(state: TrainingState) -> str:
    """What the app is doing and what to press next, at most ~78 characters (the 80×24 status line)."""
    s, ph = state, state.phase
    if s.waiting is not None:
        return s.waiting.value
    if ph is Phase.LOADING:
        return "loading torch…"
    if ph is Phase.BUILDING:
        return "building the network…"
    if ph is Phase.BLOCKED:
        return "fix the network in Build to train"
    if ph is Phase.FAILED:
        return f"cannot build this network: {s.error}"
    if ph is Phase.LOST:
        return "training process lost: r restarts it"
    if ph is Phase.TRAINING:
        then = " · Build has an error to fix" if s.form_error else " and applies your Build edit" if s.pending else ""
        return f"training: step {s.step:,} of {s.total:,} · space pauses{then}"
    if ph is Phase.PAUSED:
        then = " · Build has an error to fix" if s.form_error else ""
        return f"paused at step {s.step:,}: space resumes, s steps{then}"
    if ph is Phase.READY and s.error:
        return f"cannot train: {s.error}"
    if ph is Phase.FINISHED:
        words = {ev.RunEnd.TARGET: "all steps done", ev.RunEnd.GOAL: "goal reached"}
        why = words.get(s.finished, s.finished.value) if s.finished else ""
        more = "space trains on" if s.steps_left else "r resets, or raise steps in Build"
        return f"finished at step {s.step:,}: {why} · {more}"
    if s.step:
        more = "space trains on" if s.steps_left else "all steps done · r resets, or raise steps in Build"
        return f"ready at step {s.step:,}: {more}"
    return "ready: space to train"
