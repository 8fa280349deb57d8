"""What the predictor returns: one StepView per fed token and the Prediction for a prefix.

Kept apart from the Predictor (which runs the model) because views, hunt and the JSON output read
these without running anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from rnntui.core.tasks.data import Token
from rnntui.core.trace import StackTrace


@dataclass
class StepView:
    """One fed token: hidden (L, D, H), cell (L, D, H) for LSTM, gates name → (L, D, H)."""

    token: Token
    hidden: torch.Tensor
    cell: torch.Tensor | None
    gates: dict[str, torch.Tensor]
    output: torch.Tensor | None = None  # the head's output after this step, when it has one


@dataclass
class Prediction:
    prefix: str
    tokens: list[Token]
    window_start: int
    kind: str
    notice: str | None = None
    next: list[tuple[str, float]] = field(default_factory=list)  # lm: top-k next tokens
    tags: list[tuple[str, str, float]] = field(default_factory=list)  # tag: (token, tag, p)
    classes: list[tuple[str, float]] = field(default_factory=list)  # classify: after the whole prefix
    per_step: list[tuple[str, float]] = field(default_factory=list)  # classify: top class after each step
    forecasts: list[float] = field(default_factory=list)  # regress: forecast after each step
    output: list[str] = field(default_factory=list)  # generate / seq2seq: the produced sequence
    continuation: str = ""
    sampled: str = ""
    steps: list[StepView] = field(default_factory=list)

    @property
    def unknown(self) -> list[str]:
        return [t.text for t in self.tokens if t.unknown]

    def matrix(self, what: str = "hidden", layer: int = 0, direction: int = 0) -> torch.Tensor:
        """(T, H) of one layer and direction over the fed steps; `what` is hidden, cell or a gate."""
        rows = []
        for s in self.steps:
            src = s.hidden if what == "hidden" else s.cell if what == "cell" else s.gates.get(what)
            if src is None:
                continue
            rows.append(src[layer, direction])
        if not rows:
            return torch.zeros(0, 0)
        return torch.stack(rows)

    def to_json(self, trace: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"prefix": self.prefix, "tokens": [t.text for t in self.tokens], "kind": self.kind}
        if self.unknown:
            out["unknown"] = self.unknown
        if self.notice:
            out["notice"] = self.notice
        if self.window_start:
            out["window_start"] = self.window_start
        if self.kind == "lm":
            out["next"] = [{"token": t, "p": p} for t, p in self.next]
        elif self.kind == "tag":
            out["tags"] = [{"token": t, "tag": g, "p": p} for t, g, p in self.tags]
        elif self.kind == "classify":
            out["next"] = [{"token": c, "p": p} for c, p in self.classes]
            out["per_step"] = [{"class": c, "p": p} for c, p in self.per_step]
        elif self.kind == "regress":
            out["forecast"] = self.forecasts[-1] if self.forecasts else None
            out["forecasts"] = self.forecasts
        else:
            out["output"] = " ".join(self.output)
        if trace:
            out["steps"] = [
                {
                    "token": s.token.text,
                    "hidden": s.hidden.tolist(),
                    "cell": None if s.cell is None else s.cell.tolist(),
                    "gates": {k: v.tolist() for k, v in s.gates.items()},
                }
                for s in self.steps
            ]
        return out


def step_views(stack: StackTrace, tokens: list[Token], b: int = 0) -> list[StepView]:
    """Split a StackTrace of one sequence into one StepView per step."""
    t_len = stack.output.shape[1]
    views = []
    for t in range(min(t_len, len(tokens))):
        hidden = torch.stack([torch.stack([lt.h[b, t] for lt in row]) for row in stack.layers]).detach()
        cell = None
        if stack.cell == "lstm":
            cell = torch.stack([torch.stack([lt.c[b, t] for lt in row]) for row in stack.layers]).detach()  # type: ignore[index]
        gates = {}
        names = stack.layers[0][0].gates.keys()
        for name in names:
            gates[name] = torch.stack(
                [torch.stack([lt.gates[name][b, t] for lt in row]) for row in stack.layers]
            ).detach()
        views.append(StepView(tokens[t], hidden, cell, gates))
    return views
