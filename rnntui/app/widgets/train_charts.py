"""The Train view's charts: loss, gradient norm (total or per layer), gradient through time."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rnntui.app.state import Flow
from rnntui.app.widgets.chart_data import ema
from rnntui.app.widgets.charts import CYCLE, Chart, Series


class LossChart(Chart):
    title_text = "loss"
    grows = True

    def __init__(self, **kwargs: str) -> None:
        super().__init__(**kwargs)
        self.steps: list[float] = []
        self.losses: list[float] = []
        self.val: list[tuple[float, float]] = []
        self.goal: float | None = None
        self.baseline: float | None = None
        self.goal_is_loss = False

    def build_series(self) -> list[Series]:
        out = []
        if self.steps:
            out.append(Series("train", self.steps, self.losses, "gray"))
            out.append(Series("smoothed", self.steps, ema(self.losses), "cyan"))
        if self.val:
            out.append(Series("val", [v[0] for v in self.val], [v[1] for v in self.val], "orange", "points"))
        if self.baseline is not None and math.isfinite(self.baseline):
            out.append(Series(f"baseline {self.baseline:.3g}", [], [self.baseline], "red", "level"))
        if self.goal is not None and self.goal_is_loss:
            out.append(Series(f"goal {self.goal:.3g}", [], [self.goal], "green", "level"))
        return out

    def wants_log(self, series: Sequence[Series]) -> bool:
        return super().wants_log([s for s in series if s.label == "train"])


class GradNormChart(Chart):
    grows = True

    def __init__(self, **kwargs: str) -> None:
        super().__init__(**kwargs)
        self.steps: list[float] = []
        self.norms: list[float] = []
        self.layer_series: dict[str, list[float]] = {}
        self.clip: float | None = None
        self.per_layer = False

    @property
    def title_text(self) -> str:  # type: ignore[override]
        return "gradient norm per layer" if self.per_layer else "gradient norm (pre-clip)"

    def build_series(self) -> list[Series]:
        out = []
        if self.steps:
            if self.per_layer:
                for i, (name, ys) in enumerate(self.layer_series.items()):
                    out.append(Series(name, self.steps, ys, CYCLE[i % len(CYCLE)]))
            else:
                out.append(Series("‖g‖", self.steps, self.norms, "magenta"))
        if self.clip is not None:
            out.append(Series(f"clip {self.clip:g}", [], [self.clip], "red", "level"))
        return out


class GradFlowChart(Chart):
    """‖∂L/∂h_t‖ against t on a log scale, every layer and direction: the latest probe and, dimmed,
    the one at the first step (the vanishing-gradient picture)."""

    title_text = "‖∂L/∂h_t‖ by step t"
    x_label = "t"
    integer_x = True

    def __init__(self, **kwargs: str) -> None:
        super().__init__(**kwargs)
        self.flow: Flow | None = None

    def set_flow(self, flow: Flow | None) -> None:
        self.flow = flow

    def build_series(self) -> list[Series]:
        f = self.flow
        if f is None:
            return []
        out = []
        if f.latest_step != f.first_step:
            for name, ys in f.first.items():
                out.append(Series(f"{name} @{f.first_step}", range(1, len(ys) + 1), ys, "gray"))
        for i, (name, ys) in enumerate(f.latest.items()):
            out.append(Series(f"{name} @{f.latest_step}", range(1, len(ys) + 1), ys, CYCLE[i % len(CYCLE)]))
        return out

    def wants_log(self, series: Sequence[Series]) -> bool:
        return any(y > 0 for s in series for y in s.ys if math.isfinite(y))
