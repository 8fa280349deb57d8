"""What one training is made of, built from its spec, and what it says about itself.

The task, the model and its optimizer, the step engine (step_engine.py) with its pending telemetry
(reporting.py), the evaluation and goal (evaluation.py), the gradient probe (probe.py), the last good
state (divergence.py) and the run folder it writes (run_writer.py). No policy lives here: when each
of them acts is the training loop's (trainer.py, `Trainer` is this class plus its loop).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch

from rnntui.core import events as ev
from rnntui.core.device import describe_device, resolve_device
from rnntui.core.divergence import LastGood
from rnntui.core.evaluation import Scores
from rnntui.core.experiment import build_model, build_task
from rnntui.core.probe import GradientProbe
from rnntui.core.reporting import PendingSteps
from rnntui.core.run_lock import RunLock
from rnntui.core.run_writer import RunWriter
from rnntui.core.runs import RunDir
from rnntui.core.spec import ExperimentSpec, describe, validate
from rnntui.core.step_engine import StepEngine, make_optimizer
from rnntui.core.tasks.base import Task


class Training:
    """What one training is made of and what it says about itself; the loop policy is Trainer's."""

    def __init__(
        self,
        spec: ExperimentSpec,
        run: RunDir | None = None,
        task: Task | None = None,
        device: torch.device | None = None,
    ) -> None:
        validate(spec)
        self.spec = spec
        self.device = device or resolve_device(spec.train.device)
        self.task = task or build_task(spec.task)
        self.model = build_model(spec, self.task).to(self.device)
        self.optimizer = make_optimizer(spec.train.optimizer, self.model.parameters(), spec.train.lr, self.device)
        self.engine = StepEngine(self.model, self.optimizer, spec.train, self.task.supports_tbptt)
        self.pending = PendingSteps(self.engine.layer_names, self.engine.clip)
        self.scores = Scores(spec, self.task, self.device)
        self.prober = GradientProbe(self.scores.probe_batch)
        self.last_good = LastGood()
        self.clock: Callable[[], float] = time.perf_counter  # every time the loop reads (tests fake it)
        self.writer = RunWriter(self.clock())
        self.step_count = 0
        self.initial_loss: float | None = None
        self.last_loss: float | None = None
        self.elapsed = 0.0  # seconds of training steps and their reports, over every run
        self._in_run = False  # from a run's first run_until to its finish
        if run is not None:
            self.attach(run)

    @property
    def run_dir(self) -> RunDir | None:
        return self.writer.dir

    def attach(self, run: RunDir, lock: RunLock | None = None) -> None:
        """Write to `run` from now on, holding its lock (RunInUse if another process has it)."""
        self.writer.attach(run, lock)

    def close(self) -> None:
        """Let go of the run's lock; the files stay as the last checkpoint left them."""
        self.writer.close()

    @property
    def device_name(self) -> str:
        return describe_device(self.device)

    def cpu_state(self) -> dict[str, torch.Tensor]:
        """A CPU copy of the weights, for a predictor in another thread or process."""
        return {k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()}

    def start_event(self) -> ev.Started:
        params = self.model.param_count()
        return ev.Started(
            self.writer.where, self.device_name, params, self.spec.name, describe(self.spec), self.step_count
        )

    def _train_step(self) -> None:
        train = self.spec.train
        batch = self.task.train_batch(self.step_count, train.batch_size, train.seed)
        self.pending.add(self.engine.step(batch.to(self.device)), batch.tokens)
        self.step_count += 1

    def probe(self) -> ev.GradientFlow:
        return self.prober.run(self.model, self.step_count, self.clock)

    def checkpoint(self) -> ev.Checkpointed:
        extra = {"initial_loss": self.initial_loss, "goal_met": self.scores.goal_met}
        args = (self.spec, self.task, self.model, self.optimizer, self.step_count, extra)
        return self.writer.checkpoint(*args, now=self.clock())
