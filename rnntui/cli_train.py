"""The commands that write runs: `train`, `resume`, `compare`; and how they take Ctrl+C.

Everything that can be refused is refused before a run folder exists: the spec is validated, the task
reads its data and the model is built first, so a bad setting never leaves an orphan folder. Ctrl+C
stops cleanly (see `Interrupts`); the trainer holds the run's lock while it writes (run_lock.py).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any

from rnntui.cli_common import UserError, emit_json
from rnntui.core.events import RunEnd
from rnntui.core.textsafe import one_line

if TYPE_CHECKING:
    from rnntui.core import events as ev
    from rnntui.core.runs import RunDir
    from rnntui.core.spec import ExperimentSpec
    from rnntui.core.tasks.base import Task
    from rnntui.core.trainer import Trainer

SAVING = b"rnntui: saving the run, one moment\n"


class Interrupts:
    """Ctrl+C while training. The first sets `stop`: the trainer finishes its step, evaluates, saves
    and reports "stopped". Every later one, until the save is done, only says that it is saving: a
    KeyboardInterrupt raised inside the save would lose it (measured: a second Ctrl+C 50 ms after the
    first left the run without its last checkpoint and with run.json saying "running")."""

    def __init__(self) -> None:
        self.stop = threading.Event()

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.stop.is_set():
            os.write(2, SAVING)  # os.write: no buffered stream is re-entered from a signal handler
        else:
            self.stop.set()


@contextmanager
def interrupts() -> Iterator[threading.Event]:
    handler = Interrupts()
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield handler.stop
    finally:
        signal.signal(signal.SIGINT, previous)


def notices(task: Task) -> None:
    """What the task changed about its data (a text cut to the size cap, rare characters read as <unk>)."""
    for note in getattr(task, "notices", []):
        sys.stderr.write(f"rnntui: note: {one_line(note)}\n")


def load_spec(args: argparse.Namespace) -> ExperimentSpec:
    from rnntui.core.presets import resolve
    from rnntui.core.spec import apply_overrides, set_value, validate

    spec = resolve(args.preset)
    spec = apply_overrides(spec, args.overrides)
    if args.steps is not None:
        spec = set_value(spec, "train", "steps", args.steps)
    if args.seed is not None:
        spec = set_value(spec, "train", "seed", args.seed)
    if args.device is not None:
        spec = set_value(spec, "train", "device", args.device)
    validate(spec)
    return spec


def event_json(e: ev.Event) -> dict[str, Any]:
    """An event as JSON; a finished line without a goal leaves the key out rather than null."""
    d = e.to_dict()
    if d["event"] == "finished" and d.get("goal") is None:
        d.pop("goal")
    return d


def train_to_end(open_trainer: Callable[[], AbstractContextManager[Trainer]], as_json: bool) -> int:
    """The one path of `train` and `resume`: get the Trainer (Ctrl+C already handled, so a stop while
    it is built still saves cleanly), train it to its end with progress (or JSON events) and the final
    summary, close it. Exit status 1 when training diverged (NaN/Inf: the network did not train),
    0 when it completed, reached its goal or was stopped."""
    with interrupts() as stop, open_trainer() as trainer:
        if as_json:
            finished = trainer.run(stop=stop, on_event=lambda e: emit_json(event_json(e)))
        else:
            from rnntui.headless import train_with_progress

            finished = train_with_progress(trainer, stop)
    return 1 if finished.reason is RunEnd.DIVERGED else 0


def cmd_train(args: argparse.Namespace) -> int:
    spec = load_spec(args)
    return train_to_end(lambda: new_run(spec, args.train_runs_dir or args.runs_dir), args.json)


@contextmanager
def new_run(spec: ExperimentSpec, runs_dir: str | None) -> Iterator[Trainer]:
    """A Trainer in a new run folder, made only once the task's data and the model are built."""
    from rnntui.core.device import resolve_device
    from rnntui.core.experiment import build_task
    from rnntui.core.runs import RunDir
    from rnntui.core.trainer import Trainer

    device = resolve_device(spec.train.device)
    task = build_task(spec.task)  # reads the user's file now: its errors come before a run folder
    notices(task)
    trainer = Trainer(spec, task=task, device=device)  # builds the model: so do its errors
    try:
        trainer.attach(RunDir.create(runs_dir, spec))
        yield trainer
    finally:
        trainer.close()


def cmd_resume(args: argparse.Namespace) -> int:
    from rnntui.core.runs import RunDir, read_checkpoint
    from rnntui.core.spec import set_value, validate

    run = RunDir.open(args.run_dir)
    spec = read_checkpoint(run.checkpoint_path).spec  # the header only; Trainer.resume checks the rest
    if args.steps is not None:
        spec = set_value(spec, "train", "steps", args.steps)
    if args.device is not None:
        spec = set_value(spec, "train", "device", args.device)
    validate(spec)
    return train_to_end(lambda: resumed_run(run, spec), args.json)


@contextmanager
def resumed_run(run: RunDir, spec: ExperimentSpec) -> Iterator[Trainer]:
    """The run's Trainer from its checkpoint, refused when it has no steps left to take."""
    from rnntui.core.device import resolve_device
    from rnntui.core.trainer import Trainer

    trainer = Trainer.resume(run, device=resolve_device(spec.train.device), spec=spec)
    try:
        if trainer.step_count >= spec.train.steps:
            raise UserError(f"the run is already at step {trainer.step_count}; give --steps above that to continue")
        yield trainer
    finally:
        trainer.close()


def cmd_compare(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rnntui.core.compare import compare, parse_vary, variants
    from rnntui.core.runs import default_runs_dir

    spec = load_spec(args)
    overrides = [f"model.cell={c.strip()}" for c in (args.cells or "").split(",") if c.strip()]
    for text in args.vary:
        overrides += parse_vary(text)
    if len(overrides) < 2:
        raise UserError("give two or more variants: --cells rnn_tanh,lstm,gru or --vary model.num_layers=1,3")
    items = variants(spec, overrides)
    base = Path(args.train_runs_dir or args.runs_dir or default_runs_dir())

    from rnntui.core import events

    def progress(label: str, e: ev.Event) -> None:
        if not args.json and isinstance(e, events.Finished):
            sys.stderr.write(f"  {one_line(label)}: {e.reason} after {e.step} steps\n")

    with interrupts() as stop:
        results = compare(items, runs_dir=base, on_event=progress, stop=stop)
    if args.json:
        for r in results:
            emit_json(
                {
                    "variant": r.label,
                    "steps": r.steps,
                    "seconds": r.seconds,
                    "first_loss": r.first_loss,
                    "final": r.final,
                    "goal": r.goal,
                    "reason": r.reason,
                    "run_dir": r.run_dir,
                }
            )
        return 0
    metric = one_line(spec.goal.metric if spec.goal else "metric")
    width = max(14, len(metric) + 2)
    print(f"{'variant':<28}{'steps':>7}{'seconds':>9}{'first loss':>12}{metric:>{width}}  goal met")
    for r in results:
        value = (r.goal or {}).get("value", r.final.get("metric"))
        shown = "n/a" if value is None else f"{value:.4g}"
        met = "-" if r.goal is None else ("yes" if r.goal.get("met") else "no")
        first = "n/a" if r.first_loss is None else f"{r.first_loss:.4f}"
        print(f"{one_line(r.label):<28}{r.steps:>7}{r.seconds:>9.1f}{first:>12}{shown:>{width}}  {met}")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "train": cmd_train,
    "resume": cmd_resume,
    "compare": cmd_compare,
}
