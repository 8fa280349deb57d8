"""The training loop: when to step, report, evaluate, probe, roll back and checkpoint.

    while step < target and not halt():
        train one step                       step_engine.py: its figures stay on the device
        when a report is due (every_s, an evaluation step, the last step):
            report the pending steps         reporting.py: one host copy; a NaN/Inf → roll back (divergence.py)
            evaluate every eval_every steps  evaluation.py: GoalReached, and stop there if the spec says so
            probe within its budget          probe.py: ≤ 4 % of training time
            checkpoint every 30 s            run_writer.py

`run_until` is that loop, `finish` ends a run (last evaluation and probe, checkpoint, status), `run`
is both. The trainer never prints: it reports through `on_event`, and the run's metrics.jsonl gets
the events it records.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import torch

from rnntui.core import events as ev
from rnntui.core.divergence import advice, tips
from rnntui.core.events import RunEnd
from rnntui.core.reporting import OnEvent, Window, recorder
from rnntui.core.runs import RunDir
from rnntui.core.spec import ExperimentSpec
from rnntui.core.training import Training


class Trainer(Training):
    @classmethod
    def resume(cls, run: RunDir, device: torch.device | None = None, spec: ExperimentSpec | None = None) -> Trainer:
        """Continue a run from its checkpoint (resume.py): the same curve, appended to the same run."""
        from rnntui.core.resume import resume  # resume.py builds a Trainer: it imports this module

        return resume(cls, run, device, spec)

    # ---- the loop ----------------------------------------------------------------------------
    def run_until(
        self, halt: Callable[[], bool], on_event: OnEvent | None, every_s: float, steps: int | None = None
    ) -> RunEnd:
        """Train up to `steps` in all (default: the spec's), the goal when the spec stops there, a
        divergence, or `halt()` (asked before every step). The pending steps are reported before it
        returns; the run is not finished (`finish`)."""
        emit = recorder(self.run_dir, on_event)
        self._prepare(emit, run=True)
        target = self.spec.train.steps if steps is None else steps
        window = self.clock()
        while self.step_count < target:
            if halt():
                return self._report(emit, window) or RunEnd.HALTED
            t0 = self.clock()
            self._train_step()
            now = self.clock()
            self.prober.trained += now - t0
            at_eval = self.step_count % self.spec.train.eval_every == 0
            if not (at_eval or self.step_count >= target or now - window >= every_s):
                continue
            if end := self._report(emit, window):
                return end
            if at_eval and self._evaluate(emit):
                return RunEnd.GOAL
            if self.prober.due():
                emit(self.probe())
            if self.writer.checkpoint_due(self.clock()):
                emit(self.checkpoint())
            window = self.clock()
        return RunEnd.TARGET

    def step(self, on_event: OnEvent | None = None) -> None:
        """One training step, reported at once (single-stepping from the UI)."""
        emit = recorder(self.run_dir, on_event)
        self._prepare(emit, run=False)
        t0 = self.clock()
        self._train_step()
        self._report(emit, t0)
        if self.step_count % self.spec.train.eval_every == 0:
            self._evaluate(emit)

    def finish(self, reason: RunEnd, on_event: OnEvent | None = None) -> ev.Finished:
        """End the run: a last evaluation and probe where the curve lacks them (none after a
        divergence), a checkpoint, the run's status."""
        emit = recorder(self.run_dir, on_event)
        n, s = self.step_count, self.scores
        if reason in (RunEnd.TARGET, RunEnd.HALTED) and n > 0 and (s.last is None or n % self.spec.train.eval_every):
            self._evaluate(emit)
        if reason is not RunEnd.DIVERGED and n > 0 and self.prober.step != n:
            emit(self.probe())
        if self.run_dir is not None:
            emit(self.checkpoint())
        self.writer.ended(reason, n, s.goal_summary(), self.last_loss)
        self._in_run = False
        numbers = s.final_numbers(self.last_loss)
        finished = ev.Finished(n, reason, self.writer.where, self.initial_loss, numbers, s.goal_summary(), self.elapsed)
        emit(finished)
        return finished

    def run(
        self,
        stop: threading.Event | None = None,
        on_event: OnEvent | None = None,
        every_s: float = 0.1,
        steps: int | None = None,
    ) -> ev.Finished:
        """`run_until` (halted when `stop` is set) and `finish` ("stopped" when halted)."""
        halt = stop.is_set if stop is not None else lambda: False
        return self.finish(self.run_until(halt, on_event, every_s, steps), on_event)

    # ---- its parts ---------------------------------------------------------------------------
    def _prepare(self, emit: OnEvent, run: bool) -> None:
        """A run's status and Started (at its first run_until); a last-good copy (a divergence needs
        somewhere to go back to); the probe's first point."""
        if run and not self._in_run:
            self._in_run = True
            self.writer.running()
            emit(self.start_event())
        self.last_good.keep(self.step_count, self.model, self.optimizer, self.clock())
        if self.prober.step is None and self.prober.budget > 0:
            emit(self.probe())

    def _report(self, emit: OnEvent, since: float) -> RunEnd | None:
        """Report the steps trained since `since`; DIVERGED, once rolled back, if one is not finite."""
        now = self.clock()
        self.elapsed += now - since
        if not self.pending:
            return None
        threads = torch.get_num_threads() if self.device.type == "cpu" else 0
        window = Window(now - since, self.elapsed, self.optimizer.param_groups[0]["lr"], threads)
        progress, diverged = self.pending.report(self.step_count, window)
        if self.initial_loss is None:
            self.initial_loss = progress.points[0].loss
        self.last_loss = progress.points[-1].loss
        emit(progress)
        if diverged:
            self._roll_back(emit, progress.points[-1])
            return RunEnd.DIVERGED
        self.last_good.keep(self.step_count, self.model, self.optimizer, now)
        return None

    def _roll_back(self, emit: OnEvent, bad: ev.StepPoint) -> None:
        """To the last good copy, then through the good steps after it: the weights from just before
        the bad step, exactly (divergence.py)."""
        self.step_count = self.last_good.restore(self.model, self.optimizer)
        while self.step_count < bad.step - 1:
            self._train_step()
        self.pending.clear()  # the replayed steps were reported the first time
        said = advice(self.spec, self.step_count)
        settings = tuple(t.setting for t in tips(self.spec))
        emit(ev.Diverged(bad.step, bad.loss, bad.grad_norm, self.step_count, said, settings))

    def _evaluate(self, emit: OnEvent) -> bool:
        """Evaluate; True when the goal is met for the first time and the spec stops there."""
        emit(self.scores.evaluate(self.model, self.step_count))
        reached = self.scores.goal_reached(self.step_count)
        if reached is not None:
            emit(reached)
        return reached is not None and self.spec.goal is not None and self.spec.goal.stop_at_goal
