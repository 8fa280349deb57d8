"""Neuron hunt (the LSTMVis / char-rnn idea): which hidden units track what a regex matches?

Every character of the text gets a target, 1 inside a match and 0 outside; every hidden unit
(each layer and direction) gets its activation at each token. Units are ranked by the absolute
Pearson correlation between the two; the sign says whether the unit rises or falls in a match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch

from rnntui.core.errors import HuntError
from rnntui.core.predictor import Prediction, Predictor


@dataclass
class Unit:
    layer: int
    direction: int
    unit: int
    score: float  # Pearson r between activation and "inside a match"

    def label(self) -> str:
        arrow = " ←" if self.direction else ""
        return f"layer {self.layer + 1}{arrow} unit {self.unit}"


def match_targets(pred: Prediction, text: str, pattern: str) -> torch.Tensor:
    """(T,) 1.0 where the fed token overlaps a regex match, else 0.0."""
    try:
        rx = re.compile(pattern)
    except re.error as exc:
        raise HuntError(f"the regular expression {pattern!r} is invalid: {exc}") from None
    inside = [False] * (len(text) + 1)
    for m in rx.finditer(text):
        for i in range(m.start(), m.end()):
            inside[i] = True
    return torch.tensor([float(any(inside[s.token.start : max(s.token.end, s.token.start + 1)])) for s in pred.steps])


def rank_units(pred: Prediction, targets: torch.Tensor, top: int = 10) -> list[Unit]:
    if not pred.steps:
        return []
    acts = torch.stack([s.hidden for s in pred.steps]).float()  # (T, L, D, H)
    t_len, layers, dirs, hsz = acts.shape
    flat = acts.reshape(t_len, -1)
    a = flat - flat.mean(0)
    y = targets - targets.mean()
    denom = a.norm(dim=0) * y.norm()
    r = torch.where(denom > 1e-12, (a * y.unsqueeze(1)).sum(0) / denom.clamp_min(1e-12), torch.zeros_like(denom))
    order = r.abs().argsort(descending=True)[:top]
    units = []
    for k in order.tolist():
        layer, rest = divmod(k, dirs * hsz)
        direction, unit = divmod(rest, hsz)
        units.append(Unit(layer, direction, unit, float(r[k])))
    return units


def hunt(predictor: Predictor, text: str, pattern: str, top: int = 10) -> tuple[list[Unit], Prediction]:
    pred = predictor.feed(text)
    targets = match_targets(pred, text, pattern)
    if targets.numel() and (targets.min() == targets.max()):
        what = "matches everywhere" if targets.max() > 0 else "matches nothing"
        raise HuntError(f"{pattern!r} {what} in this text: a unit cannot be ranked against a constant")
    return rank_units(pred, targets, top), pred


def unit_activation_per_char(pred: Prediction, text: str, layer: int, direction: int, unit: int) -> list[float | None]:
    """One value per character of `text` (None where no fed token covers it), for colouring."""
    out: list[float | None] = [None] * len(text)
    for s in pred.steps:
        v = float(s.hidden[layer, direction, unit])
        for i in range(s.token.start, min(s.token.end, len(text))):
            out[i] = v
    return out
