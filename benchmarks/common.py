"""Helpers shared by the benchmarks: fixed batches and a bare PyTorch training loop."""

from __future__ import annotations

import time

import torch

from rnntui.core.experiment import build_model, build_task
from rnntui.core.presets import resolve
from rnntui.core.spec import ExperimentSpec, set_value
from rnntui.core.step_engine import torch_optimizer
from rnntui.core.tasks.base import Batch, Task

CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
_clock = {"now": time.perf_counter}


def use_clock(name: str) -> None:
    """`cpu` counts this process's CPU seconds (all threads): on a shared VM it leaves out the time
    other tenants take, which makes wall-clock ratios swing by ±15 % here."""
    _clock["now"] = CLOCKS[name]


def now() -> float:
    return _clock["now"]()


def hand_written_optimizer(name: str, params, lr: float, device: torch.device) -> torch.optim.Optimizer:
    """What a person's own loop uses: torch.optim, with its fused Adam kernel where one exists (the
    fastest Adam PyTorch has). The app trains with its own optimizers on the CPU (core/optimizers.py):
    comparing with this counts their cost too."""
    return torch_optimizer(name, params, lr, fused=device.type in ("cpu", "cuda"))


def spec_for(name: str, device: str = "cpu") -> ExperimentSpec:
    return set_value(resolve(name), "train", "device", device)


class FixedBatches:
    """Wraps a task so the trainer and the bare loop train on the very same batches."""

    def __init__(self, task: Task, batches: list[Batch]) -> None:
        self.task, self.batches = task, batches

    def __getattr__(self, name):
        return getattr(self.task, name)

    def train_batch(self, step: int, batch_size: int, seed: int) -> Batch:
        return self.batches[step % len(self.batches)]


def make_batches(spec: ExperimentSpec, n: int) -> tuple[Task, list[Batch]]:
    task = build_task(spec.task)
    return task, [task.train_batch(i, spec.train.batch_size, spec.train.seed) for i in range(n)]


class BareLoop:
    """Forward, loss, backward, clip, step — nothing else, on the same batches as the trainer."""

    def __init__(self, spec: ExperimentSpec, task: Task, batches: list[Batch], device: torch.device) -> None:
        self.spec, self.device = spec, device
        self.model = build_model(spec, task).to(device)
        self.opt = hand_written_optimizer(spec.train.optimizer, self.model.parameters(), spec.train.lr, device)
        self.batches = [b.to(device) for b in batches]
        self.count = 0

    def one(self) -> torch.Tensor:
        b = self.batches[self.count % len(self.batches)]
        self.count += 1
        self.opt.zero_grad(set_to_none=True)
        loss = self.model.loss(self.model(b), b)
        loss.backward()
        if self.spec.train.clip_norm is not None:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.spec.train.clip_norm)
        self.opt.step()
        return loss.detach()

    def rate(self, steps: int) -> float:
        """Steps per second over `steps` steps."""
        sync(self.device)
        t0 = now()
        losses = [self.one() for _ in range(steps)]
        torch.stack(losses).cpu()  # the bare loop, too, reads its losses once at the end
        sync(self.device)
        return steps / (now() - t0)


def bare_loop(spec: ExperimentSpec, task: Task, batches: list[Batch], steps: int, device: torch.device) -> float:
    """Steps per second of a fresh BareLoop after 5 warm-up steps."""
    loop = BareLoop(spec, task, batches, device)
    loop.rate(5)
    return loop.rate(steps)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()
