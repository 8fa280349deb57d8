"""One step of a unidirectional stack for one sequence: what a keystroke feeds the predictor.

trace_stack (core/trace.py) runs whole sequences: it stacks every layer's steps over time and the
predictor then split them per step again (step_views), about 25 tensor operations around the cell's
own for one token. A keystroke at the end of a long prefix runs with cold caches (the continuation
and saliency ran in between, the training process on the other core), where each operation costs
10-20 µs: this path makes the step's hidden state, cell and gates in the StepView's layout
(layer, direction, unit) directly, and the stack's new state is the hidden state itself.
Tests hold it equal to trace_stack's step.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from rnntui.core.model import State, cell_of
from rnntui.core.trace import GATE_NAMES, cell_step, layer_weights


@dataclass
class OneStep:
    """A step's values, each (layers, 1, hidden) as StepView holds them; `state` is the stack's state
    after the step ((h, c) for LSTM), made of the same tensors."""

    hidden: torch.Tensor
    cell: torch.Tensor | None
    gates: dict[str, torch.Tensor]
    state: State


def step_stack(rnn: nn.RNNBase, x: torch.Tensor, h0: State | None) -> OneStep:
    """Feed one input x (1, I) to a unidirectional stack from state h0 (None: zeros)."""
    assert not rnn.bidirectional, "a bidirectional stack reads the whole sequence"
    cell = cell_of(rnn)
    if h0 is None:
        zeros = x.new_zeros(rnn.num_layers, 1, rnn.hidden_size)
        h0 = (zeros, zeros) if cell == "lstm" else zeros
    h_prev, c_prev = h0 if isinstance(h0, tuple) else (h0, None)
    hs: list[torch.Tensor] = []
    cs: list[torch.Tensor] = []
    gs: list[tuple[torch.Tensor, ...]] = []
    inp = x
    for layer in range(rnn.num_layers):
        w_ih, w_hh, b_ih, b_hh = layer_weights(rnn, layer, 0)
        h = h_prev[layer]
        h, c, gates = cell_step(
            cell, F.linear(inp, w_ih, b_ih), F.linear(h, w_hh, b_hh), h, None if c_prev is None else c_prev[layer]
        )
        hs.append(h)
        if c is not None:
            cs.append(c)
        gs.append(gates)
        inp = h
        if layer + 1 < rnn.num_layers and rnn.training and rnn.dropout > 0:
            inp = F.dropout(inp, rnn.dropout, training=True)  # as trace_stack does between layers
    hidden = torch.stack(hs)  # (L, 1, H): the state's layout too (layers × directions, batch, H)
    cells = torch.stack(cs) if cs else None
    gates = {name: torch.stack([g[j] for g in gs]) for j, name in enumerate(GATE_NAMES[cell])}
    state: State = (hidden, cells) if cells is not None else hidden
    return OneStep(hidden, cells, gates, state)
