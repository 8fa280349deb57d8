"""Greedy decoding, one token at a time, for the generator (one→many) and the encoder-decoder.

One loop for evaluation (a batch, the fused kernels) and for Predict (one sequence, the trace runner
that keeps every step's gates): the same steps, so what Predict shows is what was scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:
    from rnntui.core.model import Runner, SequenceModel, State


@dataclass
class Memory:
    """What attention reads: the encoder's outputs (B, S, E) and which source steps are real (B, S)."""

    outputs: torch.Tensor
    mask: torch.Tensor | None


@dataclass
class Decoded:
    ids: torch.Tensor  # (B, U) greedy ids, the end token repeated after a sequence ends
    weights: list[torch.Tensor] = field(default_factory=list)  # per step (B, S): where attention looked


def greedy(
    model: SequenceModel,
    rnn: nn.RNNBase,
    state: State,
    memory: Memory | None,
    max_len: int,
    run: Runner,
    batch: int,
) -> Decoded:
    """Feed <s>, then each step's most probable token, until every sequence wrote </s> (or max_len)."""
    device = next(model.parameters()).device
    inp = torch.full((batch, 1), model.bos, dtype=torch.long, device=device)
    done = torch.zeros(batch, dtype=torch.bool, device=device)
    outs, weights = [], []
    for _ in range(max_len):
        seq, state = run(rnn, model.dec_embed(inp), state, None, "decoder")
        logits, looked = model.read_out(seq, memory)
        nxt = logits.argmax(-1)  # (B, 1)
        nxt = torch.where(done.unsqueeze(1), torch.full_like(nxt, model.eos), nxt)
        outs.append(nxt)
        if looked is not None:
            weights.append(looked[:, 0])
        done = done | nxt.squeeze(1).eq(model.eos)
        inp = nxt
        if bool(done.all()):  # (one host sync a step: decoding is not the training loop)
            break
    return Decoded(torch.cat(outs, dim=1), weights)
