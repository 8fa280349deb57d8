"""One training step: forward, backward, clip, optimizer step. Its telemetry stays on the device.

A step returns one small tensor, `[loss, pre-clip grad norm, norm of each layer group...]` (see
`Row`), still on the training device: the loop stacks a report's rows and copies them to the host
in one transfer (reporting.py). Nothing here reads a value back: a `.item()` per step would make the
host wait for a GPU, and on any device it makes the next step wait for this one.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable

import torch
from torch import nn

from rnntui.core.model import SequenceModel, State
from rnntui.core.optimizers import PLAIN, Optimizer
from rnntui.core.spec_types import TrainSpec
from rnntui.core.tasks.data import Batch


class Row:
    """Where each figure sits in a step's telemetry row; the layer groups' norms follow FIRST_LAYER.
    Whether a step was clipped is not in it: the report compares GRAD_NORM with the clip on the host
    (`clipped`), where a flag computed here cost two device operations a step."""

    LOSS, GRAD_NORM, FIRST_LAYER = 0, 1, 2


def clip_as_float32(clip: float | None) -> float | None:
    """The clip as the device compares it, in float32: `clipped` compares the norm with this, where
    the float64 clip (0.1 is 0.1000000000000000055…) could disagree with the device at the boundary."""
    if clip is None:
        return None
    try:
        return struct.unpack("f", struct.pack("f", clip))[0]
    except OverflowError:  # beyond float32: no norm reaches it
        return math.inf


def clipped(grad_norm: float, clip32: float | None) -> bool:
    """Whether the norm exceeded the clip: `clip_grads_with_norm_` scaled the gradients to it (it also
    scales by clip / (norm + 1e-6) when the norm is within 1e-6 under the clip: a change of < 1e-6)."""
    return clip32 is not None and grad_norm > clip32


def make_optimizer(name: str, params: Iterable[nn.Parameter], lr: float, device: torch.device) -> Optimizer:
    """The CPU trains with rnntui's own optimizers (optimizers.py says why); accelerators keep
    torch.optim's kernels. Both read and write the same state, so a run moves between them."""
    if device.type == "cpu":
        return PLAIN[name](params, lr=lr)
    # The fused kernel keeps Adam's step counters as tensors; the default (for-each) Adam reads every
    # counter with .item() each step.
    return torch_optimizer(name, params, lr, fused=device.type == "cuda")


def torch_optimizer(name: str, params: Iterable[nn.Parameter], lr: float, fused: bool) -> torch.optim.Optimizer:
    """torch.optim's optimizer of that name at rnntui's settings (`fused`: Adam's one-kernel update,
    which exists for CPU and CUDA only); the benchmarks' bare loops use it too."""
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    return torch.optim.Adam(params, lr=lr, fused=fused)


def detach_state(h: State | None) -> State | None:
    """A carried recurrent state cut from the graph: truncated BPTT's gradients stop at the chunk edge."""
    if h is None:
        return None
    if isinstance(h, tuple):
        return tuple(t.detach() for t in h)
    return h.detach()


class StepEngine:
    """Trains `model` one batch at a time with `optimizer`, under the spec's clipping, TBPTT and
    teacher forcing. `layer_names`: the groups whose gradient norms each row carries, in order."""

    def __init__(self, model: SequenceModel, optimizer: Optimizer, train: TrainSpec, tbptt_ok: bool) -> None:
        self.model, self.optimizer = model, optimizer
        self.clip = train.clip_norm
        self.tbptt = train.tbptt if tbptt_ok else None
        self.teacher_forcing = train.teacher_forcing
        groups = model.layer_groups()
        self.layer_names = [name for name, _ in groups]
        self.groups = [params for _, params in groups]
        self.params = [p for params in self.groups for p in params]
        device = next(model.parameters()).device
        self.zero = torch.zeros((), device=device)  # a group without gradients this step
        # On a GPU a small network's step waits on the host launching kernels, not on arithmetic:
        # there the groups' norms come from one concatenation of the gradients (G + 3 launches, not
        # ~3 per group). On the CPU that concatenation would be one more pass over memory.
        self.one_pass_norms = device.type == "cuda"

    def step(self, batch: Batch) -> torch.Tensor:
        """One update on `batch` (already on the device); its telemetry row, on the device."""
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        loss = self._forward_backward(batch)
        per_layer, total = self._grad_norms()
        if self.clip is not None:
            # The norm is already known: no second pass over the gradients, and no host read of it
            # (clip_grads_with_norm_ scales by min(1, clip / norm) on the device).
            nn.utils.clip_grads_with_norm_(self.params, self.clip, total)
        self.optimizer.step()
        return torch.cat([loss.float().view(1), total.view(1), per_layer])

    def _grad_norms(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Each layer group's gradient norm (G,) and the total norm: the norm of the groups' norms."""
        grads = [[p.grad for p in params if p.grad is not None] for params in self.groups]  # e.g. an unused h0
        if self.one_pass_norms and any(grads):
            flat = torch.cat([g.reshape(-1) for group in grads for g in group])
            parts = flat.split([sum(g.numel() for g in group) for group in grads])
            norms = [torch.linalg.vector_norm(part).float() if part.numel() else self.zero for part in parts]
        else:
            norms = [nn.utils.get_total_norm(group).float() if group else self.zero for group in grads]
        per_layer = torch.stack(norms)
        return per_layer, torch.linalg.vector_norm(per_layer)

    def _forward_backward(self, batch: Batch) -> torch.Tensor:
        """The batch's loss (detached) after its backward pass."""
        t_len = batch.x.shape[1] if batch.x.dim() >= 2 else 1
        if self.tbptt and t_len > self.tbptt:
            # Truncated BPTT: gradients reach back at most `tbptt` steps; one update per batch.
            state: State | None = None
            total = batch.x.new_zeros((), dtype=torch.float32)
            for s in range(0, t_len, self.tbptt):
                chunk = Batch(x=batch.x[:, s : s + self.tbptt], y=batch.y[:, s : s + self.tbptt])
                out, state = self.model.forward_with_state(chunk, state=detach_state(state))
                loss = self.model.loss(out, chunk) * (chunk.x.shape[1] / t_len)
                loss.backward()
                total = total + loss.detach()
            return total
        out = self.model(batch, teacher_forcing=self.teacher_forcing)
        loss = self.model.loss(out, batch)
        loss.backward()
        return loss.detach()
