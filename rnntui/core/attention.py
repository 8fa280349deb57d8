"""Attention for the encoder-decoder: each decoder step looks back at every encoder step.

Without it the decoder starts from the encoder's final state alone, a fixed-size bottleneck that a
long sequence overflows. With it (Luong et al. 2015, "global attention" after the decoder's RNN),
decoder step u scores every encoder output h_s against its own state s_u, turns the scores into
weights α_us (softmax over the source, padding excluded), reads the context c_u = Σ_s α_us h_s and
predicts from tanh(W_c [c_u; s_u]):

    dot       score(s, h) = s · (W_k h)                 Luong's "general" score (W_k maps 2H to H
                                                        for a bidirectional encoder)
    additive  score(s, h) = vᵀ tanh(W_q s + W_k h)      Bahdanau's score

The decoder's RNN is untouched, so teacher-forced training still runs the fused kernel over the
whole target; the attention is one batched step after it.
"""

from __future__ import annotations

import torch
from torch import nn


class Attention(nn.Module):
    def __init__(self, kind: str, enc_size: int, hidden: int) -> None:
        super().__init__()
        self.kind = kind
        self.keys = nn.Linear(enc_size, hidden, bias=kind == "additive")
        if kind == "additive":
            self.query = nn.Linear(hidden, hidden, bias=False)
            self.score = nn.Linear(hidden, 1, bias=False)
        self.combine = nn.Linear(enc_size + hidden, hidden)

    def forward(
        self, dec: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """dec (B, U, H) decoder states; memory (B, S, E) encoder outputs; mask (B, S) True where a
        source step is real. Returns the attentional states (B, U, H) and the weights (B, U, S)."""
        keys = self.keys(memory)  # (B, S, H)
        if self.kind == "dot":
            scores = dec @ keys.transpose(1, 2)  # (B, U, S)
        else:
            mixed = torch.tanh(self.query(dec).unsqueeze(2) + keys.unsqueeze(1))  # (B, U, S, H)
            scores = self.score(mixed).squeeze(-1)  # (B, U, S)
        if mask is not None:
            scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        context = weights @ memory  # (B, U, E)
        return torch.tanh(self.combine(torch.cat([context, dec], dim=-1))), weights


def source_mask(lengths: torch.Tensor | None, steps: int, device: torch.device) -> torch.Tensor | None:
    """(B, S) True where a source step is within its sequence (None: every step is real)."""
    if lengths is None:
        return None
    # The lengths live on the host: a blocking copy here would wait for the GPU at every step.
    return torch.arange(steps, device=device).unsqueeze(0) < lengths.to(device, non_blocking=True).unsqueeze(1)
