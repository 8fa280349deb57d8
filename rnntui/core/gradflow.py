"""Gradient through time: ‖∂L/∂h_t‖ for every step t of one batch, through the trace path.

The fused kernels hide their per-step states, so the probe re-runs the batch with the step-wise
trace (same weights) and asks autograd for the derivative of the loss with respect to every h_t.
Each h_t feeds both the output at t and the state at t+1, so this is the full BPTT quantity: how
much the loss still "hears" step t. `torch.autograd.grad` leaves the parameters' .grad untouched,
so the probe can run between training steps.
"""

from __future__ import annotations

import torch

from rnntui.core.labels import layer_label
from rnntui.core.model import SequenceModel
from rnntui.core.tasks.data import Batch
from rnntui.core.trace import TraceRunner


def gradient_through_time(model: SequenceModel, batch: Batch) -> dict[str, list[float]]:
    """Per layer (and direction), the batch-mean ‖∂L/∂h_t‖₂ for t = 0..T-1, in time order."""
    was_training = model.training
    model.eval()  # no dropout: successive probes differ only because the weights changed
    try:
        runner = TraceRunner(keep_steps=True)
        with torch.enable_grad():
            out = model(batch, runner=runner)
            loss = model.loss(out, batch)
            labels: list[str] = []
            tensors: list[torch.Tensor] = []
            spans: list[int] = []
            enc_dec = model.pattern == "encoder_decoder"
            for role, traces in runner.traces.items():
                stack = traces[0]
                for row in stack.layers:
                    for lt in row:
                        part = ("dec" if role == "decoder" else "enc") if enc_dec else ""
                        labels.append(layer_label(lt.layer, lt.direction, mark_forward=len(row) == 2, part=part))
                        tensors.extend(lt.steps)
                        spans.append(len(lt.steps))
            if not tensors:
                return {}
            grads = torch.autograd.grad(loss, tensors, allow_unused=True)
        # Stacked on the device and read once: a read per step would wait for a GPU T times a probe.
        none = torch.zeros((), dtype=torch.float64, device=loss.device)
        norms = torch.stack([none if g is None else g.detach().double().norm(dim=-1).mean() for g in grads]).tolist()
    finally:
        model.train(was_training)
    out_map: dict[str, list[float]] = {}
    i = 0
    for label, n in zip(labels, spans, strict=True):
        out_map[label] = norms[i : i + n]
        i += n
    return out_map
