"""Adam, SGD with momentum and RMSprop for training on the CPU, in public tensor operations.

Why not torch.optim there: every torch.optim optimizer imports PyTorch's compiler stack
(`torch._dynamo` and sympy: ~1.1 s of CPU and ~75 MB here) the first time one is built or stepped,
for graph breaks that only matter under torch.compile. On a 2-core laptop that import was most of
the wait between launching rnntui and training (benchmarks/startup.py: ready 1.77 × `import torch`
with it) and a sixth of the training process's memory (benchmarks/memory.py).

Each follows torch.optim's single-tensor algorithm operation for operation, so a step gives what
torch.optim gives (tests/test_optimizers.py compares them step by step), and each reads and writes
torch.optim's state_dict format: a checkpoint moves between these and torch.optim, which the GPU
path keeps (its fused kernels update every parameter in one launch; here a launch per operation
would cost more than the import). Step counters are Python ints: reading a tensor counter each step
is a host sync on any device (tests/test_sync_count.py counts them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import torch
from torch import Tensor, nn

# Counts stop here: exact in torch.optim's float32 "step" tensor, and far past where Adam's and
# RMSprop's bias corrections reach exactly 1 (0.999**n < 2**-53 from n ≈ 36,000), so no step changes.
MAX_COUNT = 2**24
Hyper = dict[str, Any]  # a parameter group as torch.optim spells it: "lr", "betas", ... and "params"


class Optimizer(Protocol):
    """What the trainer asks of an optimizer: torch.optim's and these alike."""

    param_groups: list[Hyper]

    def zero_grad(self, set_to_none: bool = True) -> None: ...

    def step(self) -> object: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state_dict: dict[str, Any]) -> None: ...


def is_count(value: float) -> bool:
    """A step count a checkpoint may hold: a whole number ≥ 0 (counts past MAX_COUNT load as it)."""
    return value >= 0 and value.is_integer()  # (False for inf and NaN)


@dataclass
class Flat:
    """The moments of the parameters with gradients (`indices`), one buffer per moment: each
    parameter's moments are views into them, so one operation updates every parameter's."""

    indices: list[int]
    sizes: list[int]
    buffers: list[Tensor]


class PlainOptimizer:
    """One parameter group. A parameter's moments are made at its first gradient, as torch.optim
    does (one that never gets one, like an unused initial state, has no entry). A step updates the
    moments of every parameter at once in flat buffers (~10 operations instead of ~7 per parameter:
    a small network's step was 2× slower as a loop over parameters than torch's fused kernel), then
    adds each parameter's change; torch.optim's arithmetic, element for element."""

    moments: ClassVar[tuple[str, ...]]  # the per-parameter tensors, named as in torch.optim's state
    counted: ClassVar[bool]  # whether torch.optim keeps a "step" per parameter
    # torch.optim's other group settings at the values these implement: its load_state_dict reads them
    fixed: ClassVar[Hyper] = {"weight_decay": 0.0, "maximize": False, "foreach": None, "differentiable": False}

    def __init__(self, params: Iterable[nn.Parameter], hyper: Hyper) -> None:
        self.params = list(params)
        # (torch.optim refuses the first two; the flat buffers need the third)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError("some parameters appear more than once")
        if len({(p.dtype, p.device) for p in self.params}) != 1:
            raise ValueError("the parameters differ in dtype or device: one optimizer per kind")
        self.param_groups: list[Hyper] = [{**hyper, **self.fixed, "params": self.params}]
        self.state: dict[int, list[Tensor]] = {}
        self.counts: dict[int, int] = {}
        self.flat: Flat | None = None

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    @torch.no_grad()
    def step(self) -> None:
        live = [i for i, p in enumerate(self.params) if p.grad is not None]
        if not live:
            return
        if self.flat is None or self.flat.indices != live:
            self.flat = self._lay_out(live)
        for i in live:
            self.counts[i] = min(self.counts.get(i, 0) + 1, MAX_COUNT)
        group, counts = self.param_groups[0], {self.counts[i] for i in live}
        if len(counts) == 1:
            grads = torch.cat([self._grad(i).reshape(-1) for i in live])
            change, scale = self.direction(grads, self.flat.buffers, counts.pop(), group)
            for i, part in zip(live, change.split(self.flat.sizes), strict=True):
                self.params[i].add_(part.view_as(self.params[i]), alpha=scale)
        else:  # some parameters missed some steps' gradients: each has its own bias correction
            for i in live:
                change, scale = self.direction(self._grad(i), self.state[i], self.counts[i], group)
                self.params[i].add_(change, alpha=scale)

    def _grad(self, i: int) -> Tensor:
        grad = self.params[i].grad
        assert grad is not None  # (only parameters with one are live)
        return grad

    def _lay_out(self, live: list[int]) -> Flat:
        """Flat buffers for the live parameters, holding the moments they already have."""
        params = [self.params[i] for i in live]
        sizes = [p.numel() for p in params]
        buffers = [params[0].new_zeros(sum(sizes)) for _ in self.moments]
        views = [b.split(sizes) for b in buffers]
        for n, (i, p) in enumerate(zip(live, params, strict=True)):
            if i in self.state:
                for view, old in zip((v[n] for v in views), self.state[i], strict=True):
                    view.copy_(old.reshape(-1))
            self.state[i] = [v[n].view_as(p) for v in views]
        return Flat(live, sizes, buffers)

    def direction(self, grad: Tensor, m: list[Tensor], step: int, g: Hyper) -> tuple[Tensor, float]:
        """Update the moments `m` with `grad` (`step`: this one's number, from 1); the parameters then
        move by scale × change, rounded as torch.optim rounds its own update (the tests compare bits)."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """torch.optim's format, copied: {"state": {index: {name: tensor, "step": 0-d float}},
        "param_groups": [{settings, "params": [indices]}]}."""
        state: dict[int, dict[str, Tensor]] = {}
        for i, tensors in self.state.items():
            if i not in self.counts:  # laid out, never stepped
                continue
            entry = {name: t.clone() for name, t in zip(self.moments, tensors, strict=True)}
            if self.counted:
                entry["step"] = torch.tensor(float(self.counts[i]))
            state[i] = entry
        groups = [
            {**{k: v for k, v in g.items() if k != "params"}, "params": list(range(len(self.params)))}
            for g in self.param_groups
        ]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Its group's settings and every parameter's moments, copied (a kept snapshot must not
        change as training goes on): torch.optim's load, for its format or ours."""
        groups = state_dict["param_groups"]
        self.param_groups[0].update({k: v for k, v in groups[0].items() if k != "params"})
        self.state, self.counts, self.flat = {}, {}, None
        for i, entry in state_dict["state"].items():
            p = self.params[i]
            if not self.counted and entry.get("momentum_buffer") is None:  # SGD before its first step
                continue
            if any(entry.get(name) is None for name in self.moments):  # moments would silently restart
                raise ValueError(f"the optimizer's state of parameter {i} lacks its moments")
            count = float(entry["step"]) if self.counted else 1.0
            if not is_count(count):  # a count of -1 would divide by zero at the next step
                raise ValueError(f"the optimizer's step count {count} is not a count")
            self.state[i] = [entry[name].to(device=p.device, dtype=p.dtype, copy=True) for name in self.moments]
            self.counts[i] = min(int(count), MAX_COUNT)


class Adam(PlainOptimizer):
    """torch.optim.Adam(params, lr) without weight decay, amsgrad or maximize: `_single_tensor_adam`."""

    moments = ("exp_avg", "exp_avg_sq")
    counted = True
    fixed = PlainOptimizer.fixed | {
        "amsgrad": False,
        "capturable": False,
        "fused": None,
        "decoupled_weight_decay": False,
    }

    def __init__(
        self, params: Iterable[nn.Parameter], lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8
    ) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps})

    def direction(self, grad: Tensor, m: list[Tensor], step: int, g: Hyper) -> tuple[Tensor, float]:
        exp_avg, exp_avg_sq = m
        beta1, beta2 = g["betas"]
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        bias_correction1 = 1 - beta1**step
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        denom = exp_avg_sq.sqrt().div_(bias_correction2_sqrt).add_(g["eps"])
        return exp_avg.mul(-g["lr"] / bias_correction1).div_(denom), 1.0  # addcdiv_'s value * m / denom


class SGD(PlainOptimizer):
    """torch.optim.SGD(params, lr, momentum): the buffer starts as the first gradient."""

    moments = ("momentum_buffer",)
    counted = False
    fixed = PlainOptimizer.fixed | {"dampening": 0, "nesterov": False, "fused": None}

    def __init__(self, params: Iterable[nn.Parameter], lr: float, momentum: float = 0.9) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum})

    def direction(self, grad: Tensor, m: list[Tensor], step: int, g: Hyper) -> tuple[Tensor, float]:
        (buf,) = m
        if step == 1:
            buf.copy_(grad)
        else:
            buf.mul_(g["momentum"]).add_(grad)
        return buf, -g["lr"]


class RMSprop(PlainOptimizer):
    """torch.optim.RMSprop(params, lr): not centered, no momentum."""

    moments = ("square_avg",)
    counted = True
    fixed = PlainOptimizer.fixed | {"momentum": 0, "centered": False, "capturable": False}

    def __init__(self, params: Iterable[nn.Parameter], lr: float, alpha: float = 0.99, eps: float = 1e-8) -> None:
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps})

    def direction(self, grad: Tensor, m: list[Tensor], step: int, g: Hyper) -> tuple[Tensor, float]:
        (square_avg,) = m
        alpha = g["alpha"]
        square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
        return grad.mul(-g["lr"]).div_(square_avg.sqrt().add_(g["eps"])), 1.0  # addcdiv_'s value * grad / avg


PLAIN: dict[str, type[Adam] | type[SGD] | type[RMSprop]] = {"adam": Adam, "sgd": SGD, "rmsprop": RMSprop}
