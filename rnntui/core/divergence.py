"""The last good state, to go back to when a step's loss or gradient is not finite.

Divergence is found at report time (a step's figures reach the host only then), a few steps after
the bad one. The trainer keeps a copy of the weights, the optimizer state and the RNG states from a
good report (at most once a second: copying is not free); on a non-finite step it restores that copy
and replays the good steps since. Batches are a pure function of (seed, step) and the RNGs are
restored too, so the replay reproduces those steps exactly: the weights kept are the weights from
just before the bad step, as if training had stopped there.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import torch

from rnntui.core.optimizers import Optimizer
from rnntui.core.spec_types import ExperimentSpec

SNAPSHOT_EVERY_S = 1.0  # a rarer copy costs replayed steps, never exactness


@dataclass(frozen=True)
class Snapshot:
    step: int
    model: dict[str, torch.Tensor]
    optimizer: dict[str, Any]  # Optimizer.state_dict(): nested tensors and hyperparameters
    rng: torch.Tensor  # dropout and scheduled sampling draw from the global RNGs: a replay must too
    cuda_rng: list[torch.Tensor] | None
    taken_at: float  # the trainer's clock


def snapshot(step: int, model: torch.nn.Module, optimizer: Optimizer, now: float) -> Snapshot:
    on_cuda = next(model.parameters()).device.type == "cuda"
    return Snapshot(
        step=step,
        model=copy.deepcopy(model.state_dict()),
        optimizer=copy.deepcopy(optimizer.state_dict()),
        rng=torch.random.get_rng_state(),
        cuda_rng=torch.cuda.get_rng_state_all() if on_cuda else None,
        taken_at=now,
    )


def restore(s: Snapshot, model: torch.nn.Module, optimizer: Optimizer) -> None:
    """Weights, optimizer state and RNGs as they were at step `s.step` (the caller sets its step)."""
    model.load_state_dict(s.model)
    optimizer.load_state_dict(s.optimizer)
    torch.random.set_rng_state(s.rng)
    if s.cuda_rng is not None:
        torch.cuda.set_rng_state_all(s.cuda_rng)


class LastGood:
    """The trainer's copy to go back to: taken before the first step, then after good reports."""

    def __init__(self) -> None:
        self.copy: Snapshot | None = None

    def keep(self, step: int, model: torch.nn.Module, optimizer: Optimizer, now: float) -> None:
        """Take a copy now if there is none yet or the last is SNAPSHOT_EVERY_S old."""
        if self.copy is None or now - self.copy.taken_at >= SNAPSHOT_EVERY_S:
            self.copy = snapshot(step, model, optimizer, now)

    def restore(self, model: torch.nn.Module, optimizer: Optimizer) -> int:
        """Back to the copy; returns its step (the replay starts there)."""
        assert self.copy is not None, "keep() runs before the first step"
        restore(self.copy, model, optimizer)
        return self.copy.step


@dataclass(frozen=True)
class Tip:
    """One thing to change after a divergence: in words, and as the setting that does it."""

    what: str  # "lower the learning rate"
    setting: str  # "train.lr=0.01"
    others: str = ""  # other values that work too: ", lstm or gru"


def tips(spec: ExperimentSpec) -> list[Tip]:
    """What to change: only the settings that apply to this spec."""
    out = []
    if spec.train.clip_norm is None:
        out.append(Tip("set gradient clipping", "train.clip_norm=1.0"))
    out.append(Tip("lower the learning rate", f"train.lr={spec.train.lr / 10:g}"))
    if spec.model.cell == "rnn_relu":
        out.append(Tip("use a saturating cell", "model.cell=rnn_tanh", ", lstm or gru"))
    if spec.model.recurrent_init_scale > 1:
        out.append(Tip("use the default init", "model.recurrent_init_scale=1"))
    return out


def advice(spec: ExperimentSpec, kept_step: int) -> str:
    """What happened and what to change, in a sentence (the Diverged event; the CLI prints it)."""
    return (
        f"the loss or gradient became NaN/Inf; the weights from before that step (step "
        f"{kept_step}) are kept. Try: " + "; ".join(f"{t.what} ({t.setting}{t.others})" for t in tips(spec))
    )
