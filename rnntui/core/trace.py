"""Step-by-step re-run of a recurrent stack with the module's own weights.

The fused kernels return h for every step but LSTM's c only at the end and no gates at all; this
module computes every layer's and direction's h_t, c_t and gates one step at a time, using exactly
PyTorch's equations, so its outputs equal the fused outputs (tests hold it to 1e-5 in float32):

    LSTM  i,f,g,o = σ,σ,tanh,σ(W_ih x + b_ih + W_hh h + b_hh);  c = f*c + i*g;  h = o*tanh(c)
    GRU   r,z = σ(...);  n = tanh(W_in x + b_in + r * (W_hn h + b_hn));  h = (1 - z) * n + z * h
    RNN   h = tanh|relu(W_ih x + b_ih + W_hh h + b_hh)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from rnntui.core.model import State, cell_of

GATE_NAMES = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n"), "rnn_tanh": (), "rnn_relu": ()}


@dataclass
class LayerTrace:
    """One layer and direction over the whole sequence. Tensors are (B, T, H) in time order."""

    layer: int
    direction: int  # 0 forward, 1 backward
    h: torch.Tensor
    c: torch.Tensor | None
    gates: dict[str, torch.Tensor]
    steps: list[torch.Tensor] = field(default_factory=list)  # the h_t tensors themselves (grad probe)


@dataclass
class StackTrace:
    role: str
    cell: str
    layers: list[list[LayerTrace]]  # [layer][direction]
    output: torch.Tensor  # (B, T, D*H), zero after each sequence's length, like pad_packed
    h_n: State


def layer_weights(rnn: nn.RNNBase, layer: int, direction: int) -> tuple[torch.Tensor, ...]:
    sfx = f"_l{layer}" + ("_reverse" if direction else "")
    return (
        getattr(rnn, "weight_ih" + sfx),
        getattr(rnn, "weight_hh" + sfx),
        getattr(rnn, "bias_ih" + sfx),
        getattr(rnn, "bias_hh" + sfx),
    )


def cell_step(
    cell: str, xt: torch.Tensor, hw: torch.Tensor, h: torch.Tensor, c: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor | None, tuple[torch.Tensor, ...]]:
    """One step of PyTorch's cell equations from the projections xt = W_ih x + b_ih, hw = W_hh h + b_hh.
    Returns (h, c or None, the gates in GATE_NAMES order)."""
    if cell == "lstm":
        pre = xt + hw
        i, f, g, o = pre.chunk(4, dim=-1)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        assert c is not None
        c_new = torch.addcmul(f * c, i, g)  # f c + i g, one operation fewer
        return o * torch.tanh(c_new), c_new, (i, f, g, o)
    if cell == "gru":
        xr, xz, xn = xt.chunk(3, dim=-1)
        hr, hz, hn = hw.chunk(3, dim=-1)
        r = torch.sigmoid(xr + hr)
        z = torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)  # the reset gate scales W_hn h + b_hn, after the matmul
        return torch.lerp(n, h, z), None, (r, z, n)  # (1 - z) n + z h in one operation, not four
    pre = xt + hw
    return torch.relu(pre) if cell == "rnn_relu" else torch.tanh(pre), None, ()


def run_direction(
    rnn: nn.RNNBase,
    x: torch.Tensor,
    layer: int,
    direction: int,
    h0: torch.Tensor,
    c0: torch.Tensor | None,
    mask: torch.Tensor | None,
    keep_steps: bool = False,
) -> tuple[LayerTrace, torch.Tensor, torch.Tensor | None]:
    """Run one layer in one direction. x (B, T, I); h0, c0 (B, H); mask (B, T) or None."""
    cell = cell_of(rnn)
    w_ih, w_hh, b_ih, b_hh = layer_weights(rnn, layer, direction)
    xw = F.linear(x, w_ih, b_ih)  # (B, T, G*H), all input projections at once
    t_len = x.shape[1]
    order = range(t_len - 1, -1, -1) if direction else range(t_len)
    h, c = h0, c0
    hs: list[torch.Tensor] = []
    cs: list[torch.Tensor | None] = []
    gs: list[tuple[torch.Tensor, ...]] = []
    for t in order:  # in the direction's order; reversed into time order below
        h_new, c_new, gates = cell_step(cell, xw[:, t], F.linear(h, w_hh, b_hh), h, c)
        if mask is not None:
            # Past a sequence's end the state is frozen, as with packed sequences.
            valid = mask[:, t].unsqueeze(-1)
            h_new = torch.where(valid, h_new, h)
            if c_new is not None:
                c_new = torch.where(valid, c_new, c)
        h, c = h_new, c_new
        hs.append(h)
        cs.append(c)
        gs.append(gates)
    if direction:
        hs.reverse()
        cs.reverse()
        gs.reverse()
    return _layer_trace(layer, direction, cell, x, rnn.hidden_size, hs, cs, gs, keep_steps), h, c


def _layer_trace(
    layer: int,
    direction: int,
    cell: str,
    x: torch.Tensor,
    hsz: int,
    hs: list[torch.Tensor],
    cs: list[torch.Tensor | None],
    gs: list[tuple[torch.Tensor, ...]],
    keep_steps: bool,
) -> LayerTrace:
    """Per-step tensors (in time order) stacked into (B, T, H)."""
    names = GATE_NAMES[cell]
    if not hs:
        empty = x.new_zeros(x.shape[0], 0, hsz)
        return LayerTrace(layer, direction, empty, empty if cell == "lstm" else None, {n: empty for n in names})
    return LayerTrace(
        layer=layer,
        direction=direction,
        h=torch.stack(hs, dim=1),
        c=torch.stack(cs, dim=1) if cell == "lstm" else None,  # type: ignore[arg-type]
        gates={n: torch.stack([g[j] for g in gs], dim=1) for j, n in enumerate(names)},
        steps=list(hs) if keep_steps else [],
    )


def trace_stack(
    rnn: nn.RNNBase,
    x: torch.Tensor,
    h0: State | None = None,
    lengths: torch.Tensor | None = None,
    role: str = "rnn",
    keep_steps: bool = False,
) -> StackTrace:
    """Run the whole stack step by step. x (B, T, I) batch-first, like the model's modules."""
    cell = cell_of(rnn)
    dirs = 2 if rnn.bidirectional else 1
    b, t_len = x.shape[0], x.shape[1]
    hsz = rnn.hidden_size
    if h0 is None:
        zeros = x.new_zeros(rnn.num_layers * dirs, b, hsz)
        h0 = (zeros, zeros.clone()) if cell == "lstm" else zeros
    h_init, c_init = h0 if isinstance(h0, tuple) else (h0, None)
    mask = None
    if lengths is not None:
        lengths = lengths.to(x.device, non_blocking=True)  # from the host: no wait for the device
        mask = torch.arange(t_len, device=x.device).unsqueeze(0) < lengths.unsqueeze(1)
    layers: list[list[LayerTrace]] = []
    h_last, c_last = [], []
    inp = x
    for layer in range(rnn.num_layers):
        row = []
        for d in range(dirs):
            k = layer * dirs + d
            tr, h_fin, c_fin = run_direction(
                rnn, inp, layer, d, h_init[k], None if c_init is None else c_init[k], mask, keep_steps
            )
            row.append(tr)
            h_last.append(h_fin)
            c_last.append(c_fin)
        layers.append(row)
        inp = torch.cat([r.h for r in row], dim=-1)
        if mask is not None:
            inp = inp * mask.unsqueeze(-1).to(inp.dtype)
        if layer + 1 < rnn.num_layers and rnn.training and rnn.dropout > 0:
            inp = F.dropout(inp, rnn.dropout, training=True)
    h_n = torch.stack(h_last, dim=0)
    state: State = (h_n, torch.stack(c_last, dim=0)) if cell == "lstm" else h_n  # type: ignore[arg-type]
    output = torch.cat([r.h for r in layers[-1]], dim=-1)
    if mask is not None:
        output = output * mask.unsqueeze(-1).to(output.dtype)
    return StackTrace(role=role, cell=cell, layers=layers, output=output, h_n=state)


class TraceRunner:
    """A model runner that records a StackTrace per call, keyed by role ("rnn", "decoder")."""

    def __init__(self, keep_steps: bool = False) -> None:
        self.keep_steps = keep_steps
        self.traces: dict[str, list[StackTrace]] = {}

    def __call__(
        self, rnn: nn.RNNBase, x: torch.Tensor, h0: State | None, lengths: torch.Tensor | None, role: str
    ) -> tuple[torch.Tensor, State]:
        tr = trace_stack(rnn, x, h0, lengths, role, self.keep_steps)
        self.traces.setdefault(role, []).append(tr)
        return tr.output, tr.h_n
