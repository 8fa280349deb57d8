"""The trainer: steps, telemetry and events. It never prints; it reports through `on_event`.

Per step it keeps the loss, the pre-clip gradient norm, the clip flag and per-layer gradient
norms as one small tensor *on the device*; at report time (≤ ~10×/s) they are stacked and copied
to the host in one transfer. A `.item()` per step would stall a GPU.

Divergence is found at report time: the trainer keeps a copy of the weights, optimizer state and
RNG state from the last good report; on a non-finite loss or gradient it restores that copy and
replays the good steps (batches are a pure function of (seed, step)), so the weights it keeps are
exactly those from before the bad step.
"""

from __future__ import annotations

import copy
import math
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import torch

from rnntui.core import events as ev
from rnntui.core.device import describe_device, resolve_device
from rnntui.core.experiment import build_model, build_task
from rnntui.core.gradflow import gradient_through_time
from rnntui.core.run_lock import RunLock
from rnntui.core.runs import RunDir, write_checkpoint
from rnntui.core.spec import ExperimentSpec, describe, validate
from rnntui.core.tasks.base import Batch, Metrics, Task
from rnntui.core.thread_tuner import ThreadTuner

OnEvent = Callable[[ev.Event], None]
PROBE_BUDGET = 0.04  # the gradient-through-time probe may take ≤ 4 % of training time
PROBE_BATCH = 16
CHECKPOINT_EVERY_S = 30.0
# A last-good copy of weights and optimizer state is taken at most this often; divergence replays
# the (deterministic) steps since then, so a rarer copy costs nothing in exactness.
SNAPSHOT_EVERY_S = 1.0


def _state(h: Any) -> Any:
    """Detach a carried recurrent state (truncated BPTT)."""
    if h is None:
        return None
    if isinstance(h, tuple):
        return tuple(t.detach() for t in h)
    return h.detach()


def make_optimizer(name: str, params: Any, lr: float) -> torch.optim.Optimizer:
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    return torch.optim.Adam(params, lr=lr)


class Trainer:
    def __init__(
        self,
        spec: ExperimentSpec,
        run: RunDir | None = None,
        task: Task | None = None,
        device: torch.device | None = None,
    ) -> None:
        validate(spec)
        self.spec = spec
        self.run_dir: RunDir | None = None
        self._lock: RunLock | None = None
        self.device = device or resolve_device(spec.train.device)
        self.task = task or build_task(spec.task)
        self.model = build_model(spec, self.task).to(self.device)
        self.optimizer = make_optimizer(spec.train.optimizer, self.model.parameters(), spec.train.lr)
        self.step_count = 0
        self.initial_loss: float | None = None
        self.last_loss: float | None = None
        self.last_eval: Metrics | None = None
        self.goal_met = False
        self.diverged = False
        self.elapsed = 0.0
        self._val: list[Batch] | None = None
        self._probe_batch: Batch | None = None
        self._pending: list[torch.Tensor] = []
        self._pending_start = 0
        self._pending_tokens = 0
        self._report_t = time.perf_counter()
        self._train_time_since_probe = 0.0
        self._probe_cost = 0.0
        self._last_checkpoint_t = time.perf_counter()
        self._last_probe_step = -1
        self._snapshot: dict[str, Any] | None = None
        self._snapshot_t = 0.0
        self._params = [p for p in self.model.parameters()]
        groups = self.model.layer_groups()
        self.layer_names = [name for name, _ in groups]
        where = {id(p): i for i, (_, ps) in enumerate(groups) for p in ps}
        self._group_of = torch.tensor([where[id(p)] for p in self._params], device=self.device)
        self._clip = spec.train.clip_norm
        self.thread_tuner: ThreadTuner | None = None
        if run is not None:
            self.attach(run)

    def attach(self, run: RunDir, lock: RunLock | None = None) -> None:
        """Write this trainer's run to `run` from now on; takes the run's lock (RunInUse if taken),
        or keeps `lock`, already taken for it (resume takes it before reading the checkpoint)."""
        if self.run_dir is not None and self.run_dir.path == run.path:
            return
        lock = lock or RunLock.acquire(run.path)
        self.close()
        self.run_dir, self._lock = run, lock

    def close(self) -> None:
        """Let go of the run (its lock); the files stay as the last checkpoint left them."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @classmethod
    def resume(cls, run: RunDir, device: torch.device | None = None, spec: ExperimentSpec | None = None) -> Trainer:
        """Continue a run from its checkpoint: weights, optimizer state, step, RNG; same run dir.

        Batches are a pure function of (seed, step), so the curve continues exactly where it
        stopped; new metrics are appended to the same metrics.jsonl.
        """
        from rnntui.core.resume import resume

        return resume(cls, run, device, spec)

    # ---- info --------------------------------------------------------------------------------
    @property
    def device_name(self) -> str:
        return describe_device(self.device)

    def cpu_state(self) -> dict[str, torch.Tensor]:
        """A CPU copy of the weights, for a predictor in another thread."""
        return {k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()}

    def val_batches(self) -> list[Batch]:
        if self._val is None:
            self._val = [b.to(self.device) for b in self.task.val_batches(max(64, self.spec.train.batch_size))]
        return self._val

    # ---- one step ----------------------------------------------------------------------------
    def _forward_backward(self, batch: Batch) -> torch.Tensor:
        tbptt = self.spec.train.tbptt
        t_len = batch.x.shape[1] if batch.x.dim() >= 2 else 1
        if tbptt and t_len > tbptt and self.task.supports_tbptt:
            # Truncated BPTT: gradients reach back at most `tbptt` steps; one update per batch.
            state, total = None, batch.x.new_zeros((), dtype=torch.float32)
            for s in range(0, t_len, tbptt):
                chunk = Batch(x=batch.x[:, s : s + tbptt], y=batch.y[:, s : s + tbptt])
                out, state = self.model.forward_with_state(chunk, state=_state(state))
                loss = self.model.loss(out, chunk) * (chunk.x.shape[1] / t_len)
                loss.backward()
                total = total + loss.detach()
            return total
        out = self.model(batch, teacher_forcing=self.spec.train.teacher_forcing)
        loss = self.model.loss(out, batch)
        loss.backward()
        return loss.detach()

    def _train_step(self) -> None:
        step = self.step_count
        batch = self.task.train_batch(step, self.spec.train.batch_size, self.spec.train.seed).to(self.device)
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        loss = self._forward_backward(batch)
        idx, grads = [], []
        for i, p in enumerate(self._params):
            if p.grad is not None:
                idx.append(i)
                grads.append(p.grad)
        sq = torch.stack(torch._foreach_norm(grads)).float() ** 2
        groups = self._group_of if len(idx) == len(self._params) else self._group_of[idx]
        per_layer = torch.zeros(len(self.layer_names), device=self.device).index_add_(0, groups, sq).sqrt()
        total = sq.sum().sqrt()
        if self._clip is not None:
            coef = (self._clip / (total + 1e-6)).clamp(max=1.0)
            torch._foreach_mul_(grads, coef.to(grads[0].dtype))
            clipped = (total > self._clip).float()
        else:
            clipped = torch.zeros((), device=self.device)
        self.optimizer.step()
        self._pending.append(torch.cat([loss.float().view(1), total.view(1), clipped.view(1), per_layer]))
        self._pending_tokens += batch.tokens
        self.step_count += 1

    # ---- reporting ---------------------------------------------------------------------------
    def _take_snapshot(self) -> None:
        self._snapshot_t = time.perf_counter()
        self._snapshot = {
            "step": self.step_count,
            "model": copy.deepcopy(self.model.state_dict()),
            "optimizer": copy.deepcopy(self.optimizer.state_dict()),
            # Dropout and scheduled sampling draw from the global RNGs: a replay must see the same draws.
            "rng": torch.random.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if self.device.type == "cuda" else None,
        }

    def _restore_and_replay(self, bad_step: int) -> int:
        assert self._snapshot is not None
        self.model.load_state_dict(self._snapshot["model"])
        self.optimizer.load_state_dict(self._snapshot["optimizer"])
        self.step_count = self._snapshot["step"]
        torch.random.set_rng_state(self._snapshot["rng"])
        if self._snapshot["cuda_rng"] is not None:
            torch.cuda.set_rng_state_all(self._snapshot["cuda_rng"])
        while self.step_count < bad_step:
            self._train_step()
        self._pending.clear()
        self._pending_tokens = 0
        return self._snapshot["step"]

    def _flush(self, emit: OnEvent, elapsed_window: float) -> bool:
        """Report pending steps. Returns False when a non-finite step was found (diverged)."""
        if not self._pending:
            return True
        rows = torch.stack(self._pending).cpu().tolist()  # the one host sync per report
        first = self._pending_start
        self._pending.clear()
        bad = next((i for i, r in enumerate(rows) if not (math.isfinite(r[0]) and math.isfinite(r[1]))), None)
        keep = rows if bad is None else rows[: bad + 1]
        lr = self.optimizer.param_groups[0]["lr"]
        points = [
            ev.StepPoint(
                step=first + i + 1,
                loss=r[0],
                grad_norm=r[1],
                clipped=bool(r[2] > 0.5),
                layer_norms=dict(zip(self.layer_names, r[3:], strict=True)),
                lr=lr,
            )
            for i, r in enumerate(keep)
        ]
        if self.initial_loss is None and points:
            self.initial_loss = points[0].loss
        self.last_loss = points[-1].loss
        window = max(elapsed_window, 1e-9)
        tokens_per_s = self._pending_tokens / window
        self._pending_tokens = 0
        emit(
            ev.Progress(
                points=points,
                tokens_per_s=tokens_per_s,
                steps_per_s=len(rows) / window,
                elapsed_s=self.elapsed,
                threads=torch.get_num_threads() if self.device.type == "cpu" else 0,
            )
        )
        if bad is None:
            self._pending_start = self.step_count
            if time.perf_counter() - self._snapshot_t >= SNAPSHOT_EVERY_S:
                self._take_snapshot()
            return True
        bad_point = points[-1]
        restored = self._restore_and_replay(first + bad)
        self._pending_start = self.step_count
        self.diverged = True
        emit(
            ev.Diverged(
                step=bad_point.step,
                loss=bad_point.loss,
                grad_norm=bad_point.grad_norm,
                restored_step=self.step_count,
                advice=self.divergence_advice(restored),
            )
        )
        return False

    def divergence_advice(self, restored_from: int) -> str:
        tips = []
        if self.spec.train.clip_norm is None:
            tips.append("set gradient clipping (train.clip_norm=1.0)")
        tips.append(f"lower the learning rate (train.lr={self.spec.train.lr / 10:g})")
        if self.spec.model.cell == "rnn_relu":
            tips.append("use a saturating cell (model.cell=rnn_tanh, lstm or gru)")
        if self.spec.model.recurrent_init_scale > 1:
            tips.append("use the default init (model.recurrent_init_scale=1)")
        return (
            f"the loss or gradient became NaN/Inf; the weights from before that step (step "
            f"{self.step_count}) are kept. Try: " + "; ".join(tips)
        )

    def evaluate(self) -> ev.Evaluated:
        self.model.eval()
        m = self.task.evaluate(self.model, self.val_batches())
        samples = self.task.samples(self.model) if self.task.kind == "lm" else []
        self.model.train()
        self.last_eval = m
        metrics = {"val_loss": m.val_loss, self.task.metric_name: m.metric, **m.extras}
        return ev.Evaluated(
            step=self.step_count,
            val_loss=m.val_loss,
            metric_name=self.task.metric_name,
            metric=m.metric,
            metrics=metrics,
            samples=samples,
        )

    def metric_value(self, name: str) -> float | None:
        if self.last_eval is None:
            return None
        m = self.last_eval
        values = {"val_loss": m.val_loss, self.task.metric_name: m.metric, **m.extras}
        return values.get(name)

    def probe(self) -> ev.GradientFlow:
        if self._probe_batch is None:
            b = self.val_batches()[0]
            n = min(PROBE_BATCH, b.x.shape[0])
            self._probe_batch = Batch(
                x=b.x[:n],
                y=b.y[:n],
                lengths=None if b.lengths is None else b.lengths[:n],
                y_in=None if b.y_in is None else b.y_in[:n],
            )
        t0 = time.perf_counter()
        norms = gradient_through_time(self.model, self._probe_batch)
        cost = time.perf_counter() - t0
        self._probe_cost = cost
        self._train_time_since_probe = 0.0
        self._last_probe_step = self.step_count
        return ev.GradientFlow(step=self.step_count, norms=norms, probe_s=cost)

    def final_numbers(self) -> dict[str, Any]:
        """The last losses and the lesson's metric, named: the goal's metric when there is a goal."""
        name = self.spec.goal.metric if self.spec.goal else self.task.metric_name
        return {
            "loss": self.last_loss,
            "val_loss": self.last_eval.val_loss if self.last_eval else None,
            "metric": self.metric_value(name),
            "metric_name": name,
        }

    def goal_summary(self) -> dict[str, Any] | None:
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
            "met": value is not None and g.met(value),
        }

    def checkpoint(self) -> ev.Checkpointed | None:
        if self.run_dir is None:
            return None
        extra = {"initial_loss": self.initial_loss, "goal_met": self.goal_met}
        write_checkpoint(
            self.run_dir.checkpoint_path,
            self.spec,
            self.task.state(),
            self.model,
            self.optimizer,
            self.step_count,
            extra=extra,
            rng_state=torch.random.get_rng_state(),
        )
        self._last_checkpoint_t = time.perf_counter()
        return ev.Checkpointed(step=self.step_count, path=str(self.run_dir.checkpoint_path))

    # ---- the loop ----------------------------------------------------------------------------
    def _emitter(self, on_event: OnEvent | None) -> OnEvent:
        def emit(e: ev.Event) -> None:
            if self.run_dir is not None and isinstance(
                e, ev.Progress | ev.Evaluated | ev.GradientFlow | ev.Diverged | ev.GoalReached | ev.Finished
            ):
                if isinstance(e, ev.Progress):
                    self.run_dir.append_metrics(
                        {
                            "event": "step",
                            "step": p.step,
                            "loss": p.loss,
                            "grad_norm": p.grad_norm,
                            "clipped": p.clipped,
                            "layer_norms": p.layer_norms,
                            "lr": p.lr,
                        }
                        for p in e.points
                    )
                else:
                    self.run_dir.append_metrics([e.to_dict()])
            if on_event is not None:
                on_event(e)

        return emit

    def start_event(self) -> ev.Started:
        return ev.Started(
            run_dir=str(self.run_dir.path) if self.run_dir else None,
            device=self.device_name,
            params=self.model.param_count(),
            spec_name=self.spec.name,
            description=describe(self.spec),
            step=self.step_count,
        )

    def step(self, on_event: OnEvent | None = None) -> None:
        """One training step, reported at once (single-stepping from the UI)."""
        emit = self._emitter(on_event)
        if self._snapshot is None:
            self._take_snapshot()
        if self._last_probe_step < 0:
            emit(self.probe())
        t0 = time.perf_counter()
        self._train_step()
        dt = time.perf_counter() - t0
        self.elapsed += dt
        self._flush(emit, dt)
        if self.step_count % self.spec.train.eval_every == 0:
            self._evaluate_and_goal(emit)

    def _evaluate_and_goal(self, emit: OnEvent) -> bool:
        e = self.evaluate()
        emit(e)
        g = self.spec.goal
        if g is not None and not self.goal_met:
            value = self.metric_value(g.metric)
            if value is not None and g.met(value):
                self.goal_met = True
                emit(ev.GoalReached(step=self.step_count, metric=g.metric, value=value, threshold=g.threshold))
                return g.stop_at_goal
        return False

    def run(
        self,
        stop: threading.Event | None = None,
        pause: threading.Event | None = None,
        on_event: OnEvent | None = None,
        every_s: float = 0.1,
        steps: int | None = None,
        while_paused: Callable[[], None] | None = None,
        tune_threads: bool = False,
    ) -> ev.Finished:
        """Train until `steps` (default: the spec's) total steps, stop, divergence or goal.

        `while_paused` is called every 20 ms while `pause` is set, in this thread: a trainer in
        another process takes single steps there (`step()` is safe between two steps of `run`).
        `tune_threads` (CPU): the first run's first ~0.5 s tries all cores against one and keeps the
        faster for this model (thread_tuner.py); this thread's torch.get_num_threads() changes.
        """
        emit = self._emitter(on_event)
        target = self.spec.train.steps if steps is None else steps
        if self.run_dir is not None:
            self.run_dir.set_status("running", pid=os.getpid())
        emit(self.start_event())
        if self._snapshot is None:
            self._take_snapshot()
        if self._last_probe_step < 0:
            emit(self.probe())
        reason = "completed"
        window_start = time.perf_counter()
        eval_every = self.spec.train.eval_every
        if tune_threads and self.device.type == "cpu" and self.thread_tuner is None:
            self.thread_tuner = ThreadTuner()
        tuner = self.thread_tuner if self.thread_tuner is not None and not self.thread_tuner.done else None
        while self.step_count < target:
            if stop is not None and stop.is_set():
                reason = "stopped"
                break
            if pause is not None and pause.is_set():
                now = time.perf_counter()
                self.elapsed += now - window_start
                if not self._flush(emit, now - window_start):
                    reason = "diverged"
                    break
                while pause.is_set() and not (stop is not None and stop.is_set()):
                    if while_paused is not None:
                        while_paused()
                    time.sleep(0.02)
                window_start = time.perf_counter()
                continue
            if tuner is not None:
                tuner.before_step()
            t_step = time.perf_counter()
            self._train_step()
            now = time.perf_counter()
            self._train_time_since_probe += now - t_step
            if tuner is not None:
                tuner.after_step(now - t_step)
                if tuner.done:
                    tuner = None
            due_eval = self.step_count % eval_every == 0
            due_report = now - window_start >= every_s or due_eval or self.step_count >= target
            if due_report:
                self.elapsed += now - window_start
                if not self._flush(emit, now - window_start):
                    reason = "diverged"
                    break
                if due_eval and self._evaluate_and_goal(emit):
                    reason = "goal"
                    break
                if self._train_time_since_probe * PROBE_BUDGET >= self._probe_cost:
                    emit(self.probe())
                if self.run_dir is not None and time.perf_counter() - self._last_checkpoint_t > CHECKPOINT_EVERY_S:
                    cp = self.checkpoint()
                    if cp:
                        emit(cp)
                window_start = time.perf_counter()
        else:
            self.elapsed += time.perf_counter() - window_start
        return self._finish(emit, reason, window_start)

    def _finish(self, emit: OnEvent, reason: str, window_start: float) -> ev.Finished:
        if reason == "stopped":
            now = time.perf_counter()
            self.elapsed += now - window_start
            self._flush(emit, now - window_start)
        if (
            reason in ("completed", "stopped")
            and self.step_count > 0
            and (self.last_eval is None or self.step_count % self.spec.train.eval_every != 0)
        ):
            self._evaluate_and_goal(emit)
        if reason != "diverged" and self._last_probe_step != self.step_count and self.step_count > 0:
            emit(self.probe())
        cp = self.checkpoint()
        if cp is not None:
            emit(cp)
        if self.run_dir is not None:
            status = {"completed": "complete", "goal": "complete"}.get(reason, reason)
            self.run_dir.set_status(status, step=self.step_count, goal=self.goal_summary(), final_loss=self.last_loss)
        finished = ev.Finished(
            step=self.step_count,
            reason=reason,
            run_dir=str(self.run_dir.path) if self.run_dir else None,
            initial_loss=self.initial_loss,
            final=self.final_numbers(),
            goal=self.goal_summary(),
            elapsed_s=self.elapsed,
        )
        emit(finished)
        return finished
