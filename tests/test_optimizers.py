"""rnntui's CPU optimizers (core/optimizers.py): torch.optim's results and state, without its import."""

from __future__ import annotations

import copy
import subprocess
import sys
import textwrap

import pytest
import torch
from torch import nn

from rnntui.core.optimizers import MAX_COUNT, PLAIN, Adam
from rnntui.core.step_engine import make_optimizer

TORCH = {
    "adam": lambda ps, lr: torch.optim.Adam(ps, lr=lr, foreach=False),
    "sgd": lambda ps, lr: torch.optim.SGD(ps, lr=lr, momentum=0.9, foreach=False),
    "rmsprop": lambda ps, lr: torch.optim.RMSprop(ps, lr=lr, foreach=False),
}


class Net(nn.Module):
    """Shapes like a small RNN's, and one parameter that never gets a gradient (an unused h0)."""

    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.LSTM(5, 7, batch_first=True)
        self.out = nn.Linear(7, 3)
        self.unused = nn.Parameter(torch.zeros(7))


def twins(seed: int = 0) -> tuple[Net, Net]:
    torch.manual_seed(seed)
    a = Net()
    return a, copy.deepcopy(a)


def train(net: Net, opt: object, steps: int, seed: int, unused_every: int = 0) -> None:
    """`steps` updates on random data; the gradients come from a real backward pass. With
    `unused_every`, the unused parameter gets a gradient at every such step, none at the others."""
    g = torch.Generator().manual_seed(seed)
    for n in range(steps):
        opt.zero_grad(set_to_none=True)
        x = torch.randn(4, 6, 5, generator=g)
        out, _ = net.rnn(x)
        loss = net.out(out).pow(2).mean()
        if unused_every and n % unused_every == 0:
            loss = loss + net.unused.pow(2).sum() + net.unused.sum()
        loss.backward()
        opt.step()


def same(a: nn.Module, b: nn.Module, tol: float = 0.0) -> bool:
    return all((p - q).abs().max().item() <= tol for p, q in zip(a.parameters(), b.parameters(), strict=True))


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_each_step_equals_torch_optims_single_tensor_algorithm(name: str) -> None:
    ours_net, theirs_net = twins()
    ours, theirs = PLAIN[name](ours_net.parameters(), lr=0.01), TORCH[name](theirs_net.parameters(), 0.01)
    for round_ in range(5):
        train(ours_net, ours, 10, seed=round_)
        train(theirs_net, theirs, 10, seed=round_)
        assert same(ours_net, theirs_net, tol=0.0), (name, round_)
    assert not same(ours_net, twins()[0])  # it trained
    assert ours_net.unused.grad is None and len(ours.state) == 6  # no moments for a parameter never used


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_a_parameter_with_a_gradient_only_now_and_then_keeps_its_own_count(name: str) -> None:
    """Its moments join the others' buffers at its first gradient, and its bias correction follows
    its own count of steps (torch.optim's), so its steps take the per-parameter path."""
    ours_net, theirs_net = twins(5)
    ours, theirs = PLAIN[name](ours_net.parameters(), lr=0.01), TORCH[name](theirs_net.parameters(), 0.01)
    train(ours_net, ours, 5, seed=6)  # first without it
    train(theirs_net, theirs, 5, seed=6)
    train(ours_net, ours, 12, seed=7, unused_every=3)
    train(theirs_net, theirs, 12, seed=7, unused_every=3)
    assert same(ours_net, theirs_net, tol=0.0)
    assert ours.state_dict()["state"].keys() == theirs.state_dict()["state"].keys()
    if ours.counted:
        assert ours.state_dict()["state"][0]["step"].item() == 4.0


def test_adam_follows_the_fused_kernel_it_replaces() -> None:
    ours_net, theirs_net = twins(1)
    train(ours_net, Adam(ours_net.parameters(), lr=0.003), 200, seed=3)
    train(theirs_net, torch.optim.Adam(theirs_net.parameters(), lr=0.003, fused=True), 200, seed=3)
    assert same(ours_net, theirs_net, tol=1e-5)


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_the_state_moves_both_ways_between_torch_optim_and_ours(name: str) -> None:
    """A checkpoint written on a GPU box (torch.optim) resumes on a laptop (ours), and back."""
    start, _ = twins(2)
    for first, second in ((PLAIN[name], TORCH[name]), (TORCH[name], PLAIN[name])):
        a, b = copy.deepcopy(start), copy.deepcopy(start)
        opt_a = first(a.parameters(), lr=0.01)
        train(a, opt_a, 7, seed=4)
        b.load_state_dict(a.state_dict())
        opt_b = second(b.parameters(), lr=0.01)
        opt_b.load_state_dict(copy.deepcopy(opt_a.state_dict()))
        train(a, opt_a, 7, seed=5)
        train(b, opt_b, 7, seed=5)
        assert same(a, b, tol=0.0), (first, second)


def test_a_loaded_state_is_a_copy_so_a_kept_snapshot_stays_as_it_was() -> None:
    """The divergence guard restores one snapshot, maybe twice: training on must not change it."""
    net, _ = twins()
    opt = Adam(net.parameters(), lr=0.01)
    train(net, opt, 3, seed=0)
    kept = copy.deepcopy(opt.state_dict())
    opt.load_state_dict(kept)
    train(net, opt, 3, seed=1)
    assert kept["state"][1]["step"].item() == 3.0
    assert not torch.equal(kept["state"][1]["exp_avg"], opt.state_dict()["state"][1]["exp_avg"])


def test_loading_takes_the_groups_hyperparameters_as_torch_optim_does() -> None:
    net, _ = twins()
    opt = Adam(net.parameters(), lr=0.01)
    train(net, opt, 1, seed=0)
    state = opt.state_dict()
    state["param_groups"][0]["lr"] = 0.5
    opt.load_state_dict(state)
    assert opt.param_groups[0]["lr"] == 0.5 and opt.param_groups[0]["params"] == list(net.parameters())


@pytest.mark.parametrize("count", [-1.0, 2.5, float("inf"), float("nan")])
def test_a_step_count_that_is_not_a_count_is_refused_on_load(count: float) -> None:
    """A damaged or hostile checkpoint's count of -1 became 0 at the next step: a division by zero in
    the training process. The load refuses it (resume turns that into one line, RunError)."""
    net, _ = twins()
    opt = Adam(net.parameters(), lr=0.01)
    train(net, opt, 1, seed=0)
    state = opt.state_dict()
    state["state"][1]["step"] = torch.tensor(count)
    with pytest.raises(ValueError, match="not a count"):
        opt.load_state_dict(state)


def test_a_count_past_float32s_exact_range_loads_as_the_last_exact_one() -> None:
    """A count of 1e39 (float64) went back to the next checkpoint as float32 inf, and that run's own
    checkpoint was refused. Counts stop at 2**24, where every bias correction is 1 already."""
    net, _ = twins()
    opt = Adam(net.parameters(), lr=0.01)
    train(net, opt, 1, seed=0)
    state = opt.state_dict()
    state["state"][1]["step"] = torch.tensor(1e39, dtype=torch.float64)
    opt.load_state_dict(state)
    train(net, opt, 2, seed=1)
    assert opt.state_dict()["state"][1]["step"].item() == 2.0**24
    assert 1 - 0.999**MAX_COUNT == 1.0 and 1 - 0.9**MAX_COUNT == 1.0


@pytest.mark.parametrize("name", ["adam", "rmsprop"])
def test_a_state_without_its_moments_is_refused_not_restarted(name: str) -> None:
    """torch.optim fails on it; skipping it silently restarted that parameter's moments and count."""
    net, _ = twins()
    opt = PLAIN[name](net.parameters(), lr=0.01)
    train(net, opt, 2, seed=0)
    state = opt.state_dict()
    del state["state"][1][opt.moments[0]]
    with pytest.raises(ValueError, match="lacks its moments"):
        opt.load_state_dict(state)


def test_what_one_optimizer_cannot_hold_is_refused() -> None:
    a, b = nn.Parameter(torch.zeros(2)), nn.Parameter(torch.zeros(2, dtype=torch.float64))
    for params in ([], [a, a], [a, b]):
        with pytest.raises(ValueError):
            Adam(params, lr=0.1)


def test_the_cpu_trains_with_ours_and_the_gpu_keeps_torch_optim() -> None:
    params = [nn.Parameter(torch.zeros(2))]
    for name in PLAIN:
        assert isinstance(make_optimizer(name, params, 0.1, torch.device("cpu")), PLAIN[name])
        assert isinstance(make_optimizer(name, params, 0.1, torch.device("meta")), torch.optim.Optimizer)


@pytest.mark.parametrize("optimizer", sorted(PLAIN))
def test_training_on_the_cpu_never_imports_the_compiler_stack(optimizer: str, tmp_path) -> None:
    """torch.optim imports torch._dynamo (~1 s and ~75 MB) at its first optimizer: the training
    process must not, through a run with evaluation, checkpoints and a divergence snapshot."""
    code = textwrap.dedent(
        f"""
        import dataclasses, sys
        from rnntui.core.presets import resolve
        from rnntui.core.runs import RunDir
        from rnntui.core.spec import set_value
        from rnntui.core.trainer import Trainer
        spec = set_value(set_value(resolve("hello"), "train", "device", "cpu"), "train", "optimizer", {optimizer!r})
        spec = dataclasses.replace(spec, train=dataclasses.replace(spec.train, eval_every=10))
        run = RunDir.create({str(tmp_path)!r}, spec)
        trainer = Trainer(spec, run=run)
        trainer.run(steps=30)
        trainer.close()
        again = Trainer.resume(run)
        again.run(steps=40)
        again.close()
        print("steps", again.step_count, "compiler imported:", "torch._dynamo" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "steps 40 compiler imported: False" in out.stdout, out.stdout
