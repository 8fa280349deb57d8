"""A training step never reads a tensor back to the host; a report reads all its steps at once.

On CUDA a read (`.item()`, `.tolist()`, `float(t)`, `if t:`) waits for the GPU to finish; counted on
the CPU with a TorchFunctionMode that sees every such call. The clock is fake (each step takes 10 ms)
so the report cadence, and with it the count, is the same on every machine.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import torch
from torch.overrides import TorchFunctionMode

import rnntui.core
from rnntui.core import events as ev
from rnntui.core.presets import resolve
from rnntui.core.spec import set_value
from rnntui.core.tasks.base import Task
from rnntui.core.tasks.data import Batch
from rnntui.core.trainer import Trainer


class SyncCounter(TorchFunctionMode):
    SYNCS = {
        torch.Tensor.item,
        torch.Tensor.tolist,
        torch.Tensor.cpu,
        torch.Tensor.__bool__,
        torch.Tensor.__float__,
        torch.Tensor.__int__,
        torch.nonzero,
        torch.Tensor.nonzero,
    }

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in self.SYNCS:
            self.calls.append(func.__name__)
        return func(*args, **(kwargs or {}))


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class TimedBatches:
    """The task's own batches, each advancing the fake clock by one step's time. Made before the
    count starts: the count is about training, not about how a task generates its data."""

    def __init__(self, task: Task, batches: list[Batch], clock: FakeClock, step_s: float) -> None:
        self.task, self.batches, self.clock, self.step_s = task, batches, clock, step_s

    def __getattr__(self, name: str):
        return getattr(self.task, name)

    def train_batch(self, step: int, batch_size: int, seed: int) -> Batch:
        self.clock.t += self.step_s
        return self.batches[step % len(self.batches)]


def counted_run(preset: str, steps: int = 100) -> tuple[SyncCounter, list[ev.Event]]:
    spec = set_value(resolve(preset), "train", "device", "cpu")
    spec = dataclasses.replace(spec, train=dataclasses.replace(spec.train, eval_every=10**6))  # evaluation reads
    trainer = Trainer(spec)
    clock = FakeClock()
    batches = [trainer.task.train_batch(i, spec.train.batch_size, spec.train.seed) for i in range(8)]
    trainer.task = TimedBatches(trainer.task, batches, clock, step_s=0.01)
    trainer.clock = clock
    trainer.prober.budget = 0.0  # the probe is a measurement with its own budget: it reads by design
    events: list[ev.Event] = []
    trainer.run_until(lambda: False, events.append, every_s=0.1, steps=3)  # warm-up: first-use work
    counter = SyncCounter()
    with counter:
        trainer.run_until(lambda: False, events.append, every_s=0.1, steps=3 + steps)
    return counter, events


def test_a_hundred_steps_sync_at_most_once_per_ten():
    counter, events = counted_run("hello")
    reports = [e for e in events if isinstance(e, ev.Progress)]
    assert [p.step for e in reports for p in e.points] == list(range(1, 104)), "every step is still reported"
    assert len(counter.calls) <= 10, counter.calls
    assert counter.calls, "the reports themselves read their steps (the counter sees them)"


def test_other_fixed_length_presets_do_not_sync_per_step_either():
    # Clipping (char-lm, long-memory) and long sequences. Variable-length batches (sentiment's) pack by
    # lengths that live on the host by design: pack_padded_sequence reads them there, no device sync.
    for preset in ("char-lm", "long-memory"):
        counter, _ = counted_run(preset)
        assert len(counter.calls) <= 10, (preset, counter.calls)


PRIVATE_MODULE = re.compile(r"torch(\.\w+)*\._\w+(\.\w+)*")


def private_torch_names(source: str) -> list[str]:
    """Every `torch._…` reached by attribute (torch._foreach_norm, torch._C.x) or imported from."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id == "torch":
                found.append(ast.unparse(node))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "torch":
            parts = (node.module or "").split(".") + [a.name for a in node.names]
            if any(p.startswith("_") and not p.startswith("__") for p in parts):
                found.append(f"from {node.module} import {', '.join(a.name for a in node.names)}")
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if any(p.startswith("_") for p in a.name.split(".")[1:])]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and PRIVATE_MODULE.fullmatch(node.value):
            found.append(repr(node.value))  # a module imported by name, e.g. a fork server's preload list
    return found


def test_the_core_uses_only_public_torch_names():
    sample = "import torch\nn = torch._foreach_norm(x)\nfrom torch._C import y\npreload = ['torch._dynamo']\n"
    assert sorted(private_torch_names(sample)) == ["'torch._dynamo'", "from torch._C import y", "torch._foreach_norm"]
    assert private_torch_names("torch.nn.utils.get_total_norm(g); x.__class__") == []
    root = Path(rnntui.core.__file__).parent
    found = {str(p.relative_to(root)): private_torch_names(p.read_text()) for p in sorted(root.rglob("*.py"))}
    assert {k: v for k, v in found.items() if v} == {}
