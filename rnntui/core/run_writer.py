"""The run folder a trainer writes: its lock, its status and its checkpoints, every 30 s and at the end.

(Its metrics.jsonl is written by whoever receives the events: reporting.recorder.)
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import torch

from rnntui.core import events as ev
from rnntui.core.events import RunEnd
from rnntui.core.optimizers import Optimizer
from rnntui.core.run_lock import RunLock
from rnntui.core.runs import RunDir, write_checkpoint
from rnntui.core.spec_types import ExperimentSpec
from rnntui.core.tasks.base import Task

CHECKPOINT_EVERY_S = 30.0  # a crash or a kill loses at most this much training


class RunWriter:
    def __init__(self, now: float) -> None:
        self.dir: RunDir | None = None
        self._lock: RunLock | None = None
        self.checkpointed_at = now  # the trainer's clock

    @property
    def where(self) -> str | None:
        return str(self.dir.path) if self.dir else None

    def attach(self, run: RunDir, lock: RunLock | None = None) -> None:
        """Write to `run` from now on; takes the run's lock (RunInUse if taken), or keeps `lock`,
        already taken for it (resume takes it before reading the checkpoint)."""
        if self.dir is not None and self.dir.path == run.path:
            return
        lock = lock or RunLock.acquire(run.path)
        self.close()
        self.dir, self._lock = run, lock

    def close(self) -> None:
        """Let go of the run (its lock); the files stay as the last checkpoint left them."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def running(self) -> None:
        if self.dir is not None:
            self.dir.set_status("running", pid=os.getpid())

    def ended(self, reason: RunEnd, step: int, goal: Mapping[str, object] | None, final_loss: float | None) -> None:
        if self.dir is not None:
            status = "complete" if reason in (RunEnd.TARGET, RunEnd.GOAL) else reason.value
            self.dir.set_status(status, step=step, goal=goal, final_loss=final_loss)

    def interrupted(self, step: int, final_loss: float | None) -> None:
        """The run stopped where its folder could not be written (a full disk): its last complete
        checkpoint is what is left."""
        if self.dir is not None:
            self.dir.set_status("interrupted", step=step, goal=None, final_loss=final_loss)

    def checkpoint_due(self, now: float) -> bool:
        return self.dir is not None and now - self.checkpointed_at > CHECKPOINT_EVERY_S

    def checkpoint(
        self,
        spec: ExperimentSpec,
        task: Task,
        model: torch.nn.Module,
        optimizer: Optimizer,
        step: int,
        extra: dict[str, float | bool | None],
        now: float,
    ) -> ev.Checkpointed:
        """Weights, optimizer and RNG state, atomically (a crash mid-write leaves the previous one)."""
        assert self.dir is not None
        path = self.dir.checkpoint_path
        write_checkpoint(path, spec, task.state(), model, optimizer, step, extra, torch.random.get_rng_state())
        self.checkpointed_at = now
        return ev.Checkpointed(step=step, path=str(path))
