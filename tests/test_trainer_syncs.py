"""A training step never makes the host wait for the device; a report reads all its steps at once.

On CUDA the host waits for the GPU whenever it reads a tensor there (`.item()`, `.tolist()`, `.cpu()`,
`float(t)`, `if t:`), asks for a shape that depends on the data (`nonzero`, `t[mask]`, `unique`...), or
copies to the GPU without `non_blocking` (the copy waits for the GPU's queue). A TorchFunctionMode sees
every such call on the CPU, so the count needs no GPU. The clock is fake (each step takes 10 ms), so
the report cadence, and with it the count, is the same on every machine. tests/test_cuda.py runs the
same training under CUDA's own sync checker where a GPU is present.
"""

from __future__ import annotations

import ast
import dataclasses
import re
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import pytest
import torch
from torch.overrides import TorchFunctionMode

import rnntui
import rnntui.core
import rnntui.core.probe
from rnntui.core import events as ev
from rnntui.core.presets import builtin_dir, resolve
from rnntui.core.spec import ExperimentSpec, set_value
from rnntui.core.tasks.base import Task
from rnntui.core.tasks.data import Batch
from rnntui.core.trainer import Trainer

T = torch.Tensor
READS = {T.item, T.tolist, T.cpu, T.numpy, T.__bool__, T.__float__, T.__int__, T.__index__, T.__complex__}
READS |= {torch.equal, T.equal, torch.allclose, T.allclose, torch.is_nonzero, T.is_nonzero}
# Ops whose output's shape depends on the data: the host must learn the size from the device.
SHAPES = {torch.nonzero, T.nonzero, torch.argwhere, T.argwhere, torch.masked_select, T.masked_select}
SHAPES |= {torch.unique, T.unique, torch.unique_consecutive, T.unique_consecutive, torch.bincount, T.bincount}
SHAPES |= {torch.repeat_interleave, T.repeat_interleave}
# Device moves count where our code makes them: PyTorch's own (clip_grad gathering each norm onto the
# first gradient's device) move between tensors already on the one training device, which waits for nothing.
MOVES = {T.to, T.cuda}
OURS = str(Path(rnntui.__file__).parent)
# PyTorch's RNN modules read `int(batch_sizes[0])` of a PackedSequence, whose batch_sizes always live
# on the CPU (PyTorch keeps them there): host memory, never a wait for the device.
HOST_METADATA = {("rnn.py", "get_expected_hidden_size")}


def has_bool_index(index: object) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, torch.Tensor) and i.dtype == torch.bool for i in items)


def names_a_device(args: tuple, kwargs: dict) -> bool:
    if "device" in kwargs or "other" in kwargs:
        return True
    return any(isinstance(a, (torch.device, str, torch.Tensor)) for a in args[1:])


def waiting_call(func, args: tuple, kwargs: dict) -> str | None:
    """The name of the wait `func(*args, **kwargs)` makes the host do on CUDA, or None."""
    if (
        func in READS
        or func in SHAPES
        and not (func in (torch.repeat_interleave, T.repeat_interleave) and "output_size" in kwargs)
    ):
        return func.__name__
    if func is torch.where and len(args) + len(kwargs) == 1:
        return "where(condition)"
    if func in (T.__getitem__, T.__setitem__) and len(args) > 1 and has_bool_index(args[1]):
        return f"{func.__name__}[bool mask]"
    if func in MOVES and names_a_device(args, kwargs) and not (kwargs.get("non_blocking") or True in args[1:]):
        return f"{func.__name__}(device) blocking"
    return None


class SyncCounter(TorchFunctionMode):
    """Records (phase, what) for every call that would make the host wait for a GPU. `phase` is set by
    whoever drives the counted code: "step" inside a training step, "report" everywhere else."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str]] = []
        self.phase = "report"
        self.counting = False

    def __enter__(self):
        self.counting = True
        return super().__enter__()

    def __exit__(self, *exc):
        self.counting = False
        return super().__exit__(*exc)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        what = waiting_call(func, args, kwargs)
        if what is not None:
            caller = sys._getframe(1).f_code
            moved_by_torch = what.endswith("blocking") and not caller.co_filename.startswith(OURS)
            if (Path(caller.co_filename).name, caller.co_name) not in HOST_METADATA and not moved_by_torch:
                self.calls.append((self.phase, what))
        return func(*args, **kwargs)

    def in_phase(self, phase: str) -> list[str]:
        return [what for p, what in self.calls if p == phase]


@pytest.fixture(autouse=True)
def one_thread():
    """What is read back does not depend on threads; on a busy 2-core machine, two intra-op threads
    spin against other processes and made these tiny steps 30× slower (measured)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


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


def small(spec: ExperimentSpec) -> ExperimentSpec:
    """The preset's pattern, cell, directions, depth, lengths and optimizer, on a smaller network and
    batch: what is read back does not depend on sizes, and 100 steps stay quick."""
    spec = set_value(set_value(spec, "model", "hidden_size", 16), "train", "batch_size", 8)
    return set_value(spec, "train", "device", "cpu")


def counted_run(
    preset: str | ExperimentSpec,
    steps: int = 100,
    probe: bool = False,
    device: str = "cpu",
    guard: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> tuple[SyncCounter, list[ev.Event]]:
    """`steps` steps after a warm-up, reported at the app's cadence (every 0.1 s of 10 ms steps);
    no evaluation. With `probe`, the gradient probe at its own cadence: each probe "takes" 20 ms.
    Each counted step runs inside `guard()` (test_cuda.py: CUDA's own sync checker)."""
    spec = set_value(resolve(preset), "train", "device", device) if isinstance(preset, str) else preset
    spec = dataclasses.replace(spec, train=dataclasses.replace(spec.train, eval_every=10**6))  # evaluation reads
    trainer = Trainer(spec)
    clock = FakeClock()
    batches = [trainer.task.train_batch(i, spec.train.batch_size, spec.train.seed) for i in range(8)]
    trainer.task = TimedBatches(trainer.task, batches, clock, step_s=0.01)
    trainer.clock = clock
    if probe:
        measure = rnntui.core.probe.gradient_through_time
        trainer.prober.batch()  # the validation batches are built once, on first use: not counted

        def timed_probe(model, batch):
            clock.t += 0.02
            return measure(model, batch)

        rnntui.core.probe.gradient_through_time = timed_probe  # restored below
    else:
        trainer.prober.budget = 0.0  # the probe is a measurement with its own budget: it reads by design
    counter = SyncCounter()
    step = trainer._train_step

    def counted_step() -> None:
        if counter.counting:
            counter.phase = "step"
            with guard():
                step()
            counter.phase = "report"
        else:
            step()

    trainer._train_step = counted_step  # type: ignore[method-assign]
    events: list[ev.Event] = []
    try:
        trainer.run_until(lambda: False, events.append, every_s=0.1, steps=3)  # warm-up: first-use work
        with counter:
            trainer.run_until(lambda: False, events.append, every_s=0.1, steps=3 + steps)
    finally:
        if probe:
            rnntui.core.probe.gradient_through_time = measure
    return counter, events


def test_a_hundred_steps_sync_at_most_once_per_ten():
    counter, events = counted_run("hello")
    reports = [e for e in events if isinstance(e, ev.Progress)]
    assert [p.step for e in reports for p in e.points] == list(range(1, 104)), "every step is still reported"
    assert counter.in_phase("step") == []
    assert len(counter.calls) <= 10, counter.calls
    assert counter.calls, "the reports themselves read their steps (the counter sees them)"


PRESETS = sorted(p.stem for p in builtin_dir().glob("*.toml"))  # the shipped ones


@pytest.mark.parametrize("preset", PRESETS)
def test_no_pattern_syncs_in_its_steps(preset):
    # Every shipped preset, so every pattern the trainer runs: language models, tagging (bidirectional,
    # variable length), classification (packed), regression, one→many, encoder-decoder with and
    # without attention, stacked layers, SGD and Adam, clipping.
    counter, _ = counted_run(small(resolve(preset)))
    assert counter.in_phase("step") == [], preset
    assert len(counter.calls) <= 10, (preset, counter.calls)


def test_the_presets_cover_every_pattern():
    specs = [resolve(p) for p in PRESETS]
    assert {s.model.pattern for s in specs} == {"many_to_many", "many_to_one", "one_to_many", "encoder_decoder"}
    assert {s.model.cell for s in specs} >= {"lstm", "gru", "rnn_relu"}
    assert any(s.model.attention != "none" for s in specs) and any(s.model.bidirectional for s in specs)
    assert any(s.model.num_layers > 1 for s in specs)
    variable = [p for p in PRESETS if Trainer(small(resolve(p))).task.train_batch(0, 8, 0).lengths is not None]
    assert {resolve(p).model.pattern for p in variable} >= {"many_to_many", "many_to_one", "encoder_decoder"}


@pytest.mark.parametrize("preset", ["hello", "sentiment", "attention"])
def test_the_gradient_probe_reads_at_report_points_only(preset):
    counter, events = counted_run(small(resolve(preset)), probe=True)
    probes = [e for e in events if isinstance(e, ev.GradientFlow)]
    reports = [e for e in events if isinstance(e, ev.Progress)]
    assert counter.in_phase("step") == [], preset
    # Within its 4 % budget a 20 ms probe runs once per 0.5 s of training: 2 in 100 steps of 10 ms.
    assert 1 <= len(probes) - 1 <= 3, [e.step for e in probes]  # the first came before the count
    assert len(counter.calls) <= len(reports) - 1 + len(probes) - 1, counter.calls  # one read for each


def test_the_counter_sees_every_kind_of_wait():
    x = torch.arange(4.0)
    counter = SyncCounter()
    with counter:
        x[0].item()
        float(x[1]), int(x[2]), bool(x[3]), x.tolist(), x.cpu()
        x.nonzero(), x[x > 1], torch.where(x > 1), torch.unique(x)
        x.to(torch.device("cpu"), non_blocking=True), x.to(torch.float64)
    assert [w for _, w in counter.calls] == [
        "item", "__float__", "__int__", "__bool__", "tolist", "cpu",
        "nonzero", "__getitem__[bool mask]", "where(condition)", "unique",
    ]  # fmt: skip


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
