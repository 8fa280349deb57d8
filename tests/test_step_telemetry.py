"""What a training step's telemetry costs on the device, and that it says what happened.

On a GPU a small network's step is bound by the host launching kernels (measured on an H200: hello's
bare loop 490 steps/s, the trainer's steps 381, the same steps with only a total norm 411), so the
row of figures each step returns must add few device operations to the step itself. These tests run
the GPU's code path on the CPU and count the operations PyTorch dispatches.
"""

from __future__ import annotations

import collections
import dataclasses
import sys
from pathlib import Path

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from rnntui.core.presets import resolve
from rnntui.core.spec import set_value
from rnntui.core.step_engine import clip_as_float32, clipped, make_optimizer
from rnntui.core.trainer import Trainer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from common import BareLoop, FixedBatches, make_batches  # noqa: E402

# Views and metadata cost no kernel; everything else dispatched on a CUDA tensor launches at least one.
FREE = {"aten.view.default", "aten.reshape.default", "aten.split_with_sizes.default", "aten.detach.default"}


class Launches(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.ops: collections.Counter[str] = collections.Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if str(func) not in FREE:
            self.ops[str(func)] += 1
        return func(*args, **(kwargs or {}))


def per_step(step, n: int = 5) -> collections.Counter[str]:
    step()
    with Launches() as count:
        for _ in range(n):
            step()
    return collections.Counter({k: v // n for k, v in count.ops.items()})


def trainer_and_bare(preset: str):
    spec = set_value(resolve(preset), "train", "device", "cpu")
    spec = dataclasses.replace(spec, train=dataclasses.replace(spec.train, eval_every=10**9, steps=10**6))
    task, batches = make_batches(spec, 4)
    trainer = Trainer(spec, task=FixedBatches(task, batches), device=torch.device("cpu"))
    return trainer, BareLoop(spec, task, [b.to(torch.device("cpu")) for b in batches], torch.device("cpu"))


@pytest.mark.parametrize("preset", ["hello", "deep-stack", "exploding"])
def test_the_gpu_path_adds_a_launch_per_layer_group_and_two_more(preset):
    trainer, bare = trainer_and_bare(preset)
    trainer.engine.one_pass_norms = True  # the path a CUDA device takes, with its optimizer (torch.optim's fused
    # kernel: the CPU has rnntui's own, core/optimizers.py), made as make_optimizer makes it for CUDA
    spec = trainer.spec.train
    trainer.engine.optimizer = make_optimizer(spec.optimizer, trainer.model.parameters(), spec.lr, torch.device("cuda"))
    extra = sum(per_step(trainer._train_step).values()) - sum(per_step(bare.one).values())
    groups = len(trainer.engine.layer_names)
    # One concatenation of the gradients, a norm per group, the row: the bare loop's own total norm
    # (a stack and a norm of its per-tensor norms) becomes the stack and norm of the groups' norms.
    assert extra <= groups + 2, (extra, groups)
    trainer.pending.clear()


@pytest.mark.parametrize("preset", ["hello", "deep-stack", "spell-number"])
def test_both_ways_of_computing_the_norms_agree(preset):
    torch.manual_seed(0)
    trainer, _ = trainer_and_bare(preset)
    trainer._train_step()  # gradients to measure (left in place by the step)
    engine = trainer.engine
    engine.one_pass_norms = False
    per_group, total = engine._grad_norms()
    engine.one_pass_norms = True
    one_pass, one_pass_total = engine._grad_norms()
    assert torch.allclose(per_group, one_pass, rtol=1e-5, atol=1e-7)
    assert torch.allclose(total, one_pass_total, rtol=1e-5)
    assert len(one_pass) == len(engine.layer_names) and per_group.dtype == one_pass.dtype == torch.float32


def test_a_group_without_gradients_counts_zero_either_way():
    trainer, _ = trainer_and_bare("hello")
    trainer._train_step()
    engine = trainer.engine
    for p in engine.groups[0]:
        p.grad = None  # as an initial state the loss never reached
    for one_pass in (False, True):
        engine.one_pass_norms = one_pass
        per_group, _ = engine._grad_norms()
        assert per_group[0] == 0 and (per_group[1:] > 0).all(), one_pass


def test_clipped_is_the_devices_comparison_at_the_boundary():
    tenth = torch.tensor(0.1, dtype=torch.float32)
    assert not clipped(tenth.item(), clip_as_float32(0.1))  # the norm equals the clip as float32
    assert clipped(torch.nextafter(tenth, torch.tensor(1.0)).item(), clip_as_float32(0.1))
    assert not clipped(1e30, None)
    assert clip_as_float32(1e300) == float("inf")


def test_no_gradient_at_all_counts_zero_on_the_gpu_path_too():
    trainer, _ = trainer_and_bare("hello")
    engine = trainer.engine
    for p in engine.params:
        p.grad = None
    for one_pass in (False, True):
        engine.one_pass_norms = one_pass
        per_group, total = engine._grad_norms()
        assert per_group.tolist() == [0.0] * len(engine.layer_names) and total.item() == 0.0
