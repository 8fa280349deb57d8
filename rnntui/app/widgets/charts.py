"""Live plotext charts: loss, gradient norm, gradient through time.

Each chart keeps its own data and replots on demand; series are downsampled to about twice the
widget's width (plotext's build time grows with points: ~3 ms at 100, ~100 ms at 10,000).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from textual_plotext import PlotextPlot


def downsample(xs: Sequence[float], ys: Sequence[float], n: int) -> tuple[list[float], list[float]]:
    """Keep at most n points by averaging buckets (keeps spikes visible better than striding)."""
    if len(xs) <= n or n <= 0:
        return list(xs), list(ys)
    out_x, out_y = [], []
    size = len(xs) / n
    for i in range(n):
        a, b = int(i * size), max(int((i + 1) * size), int(i * size) + 1)
        seg = [y for y in ys[a:b] if math.isfinite(y)]
        if seg:
            out_x.append(xs[b - 1])
            out_y.append(sum(seg) / len(seg))
    return out_x, out_y


def ema(ys: Sequence[float], alpha: float = 0.05) -> list[float]:
    out, m = [], None
    for y in ys:
        if math.isfinite(y):
            m = y if m is None else (1 - alpha) * m + alpha * y
        out.append(m if m is not None else float("nan"))
    return out


REDRAW_EVERY_S = 1.0  # charts redraw at most this often while data streams in
# ...and a chart waits this many times its own last render's cost between redraws, so charts take
# at most ~1/30 of the UI thread each: every millisecond the UI thread holds the GIL is one the
# training thread waits (measured: 3 charts at 0.4 s cost hello ~12 % of its steps/s).
REDRAW_COST_FACTOR = 30


class Chart(PlotextPlot):
    DEFAULT_CSS = "Chart { height: 1fr; min-height: 10; }"

    def on_mount(self) -> None:
        super().on_mount()
        self._dirty = False
        self._render_cost = 0.0
        self._rendered_at = 0.0
        self.set_interval(REDRAW_EVERY_S / 2, self._redraw_if_dirty)

    def mark_dirty(self) -> None:
        """New data: redraw at the next tick, not now (a plotext build costs milliseconds of the
        training thread's GIL time; ten per second per chart measurably slowed training)."""
        self._dirty = True

    def _redraw_if_dirty(self) -> None:
        if not (self._dirty and self.is_on_screen):
            return
        wait = max(REDRAW_EVERY_S, REDRAW_COST_FACTOR * self._render_cost)
        if time.perf_counter() - self._rendered_at < wait:
            return
        self._dirty = False
        self.replot()

    def render(self) -> Any:
        t0 = time.perf_counter()
        # A chart must never take the app down (plotext raises on some degenerate data).
        try:
            return super().render()
        except Exception as exc:  # pragma: no cover - defensive
            return f"(chart unavailable: {type(exc).__name__})"
        finally:
            self._rendered_at = time.perf_counter()
            self._render_cost = self._rendered_at - t0

    def points_budget(self) -> int:
        return max(20, 2 * (self.size.width or 60))

    def log_if_wide(self, ys: Sequence[float]) -> None:
        """Switch to a log y axis when the positive values span more than two decades."""
        finite = [y for y in ys if math.isfinite(y) and y > 0]
        if finite and max(finite) / max(min(finite), 1e-12) > 100:
            self.plt.yscale("log")

    def begin(self, title: str) -> None:
        plt = self.plt
        plt.clear_data()
        plt.title(title)
        plt.yscale("linear")


class LossChart(Chart):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.steps: list[float] = []
        self.losses: list[float] = []
        self.val: list[tuple[float, float]] = []
        self.goal: float | None = None
        self.baseline: float | None = None
        self.goal_is_loss = False

    def reset(self, baseline: float | None, goal: float | None) -> None:
        self.steps, self.losses, self.val = [], [], []
        self.baseline, self.goal = baseline, goal
        self.replot()

    def replot(self) -> None:
        self.begin("loss  (raw · smoothed · val)")
        plt = self.plt
        if self.steps:
            xs, ys = downsample(self.steps, self.losses, self.points_budget())
            plt.plot(xs, ys, label="train", marker="braille", color="gray")
            sx, sy = downsample(self.steps, ema(self.losses), self.points_budget())
            plt.plot(sx, sy, label="smoothed", marker="braille", color="cyan")
        if self.val:
            plt.scatter([v[0] for v in self.val], [v[1] for v in self.val], label="val", marker="dot", color="orange")
        if self.baseline is not None and math.isfinite(self.baseline):
            plt.horizontal_line(self.baseline, color="red")
        if self.goal is not None and self.goal_is_loss:
            plt.horizontal_line(self.goal, color="green")
        self.log_if_wide(self.losses)
        plt.xlabel("step")
        self.refresh()


class GradNormChart(Chart):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.steps: list[float] = []
        self.norms: list[float] = []
        self.layer_series: dict[str, list[float]] = {}
        self.clip: float | None = None
        self.per_layer = False

    def reset(self, clip: float | None) -> None:
        self.steps, self.norms, self.layer_series, self.clip = [], [], {}, clip
        self.replot()

    def replot(self) -> None:
        title = "grad norm per layer" if self.per_layer else "grad norm, pre-clip"
        self.begin(title)
        plt = self.plt
        if self.steps:
            if self.per_layer:
                for name, ys in self.layer_series.items():
                    xs, ys2 = downsample(self.steps, ys, self.points_budget())
                    plt.plot(xs, ys2, label=name, marker="braille")
            else:
                xs, ys = downsample(self.steps, self.norms, self.points_budget())
                plt.plot(xs, ys, label="‖g‖", marker="braille", color="magenta")
        if self.clip is not None:
            plt.horizontal_line(self.clip, color="red")
        self.log_if_wide(self.norms)
        plt.xlabel("step")
        self.refresh()


class GradFlowChart(Chart):
    """‖∂L/∂h_t‖ against t on a log scale: the latest probe over the one at step 0."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.first: dict[str, list[float]] | None = None
        self.first_step = 0
        self.latest: dict[str, list[float]] | None = None
        self.latest_step = 0

    def reset(self) -> None:
        self.first = self.latest = None
        self.replot()

    def update_flow(self, step: int, norms: dict[str, list[float]]) -> None:
        if self.first is None:
            self.first, self.first_step = norms, step
        self.latest, self.latest_step = norms, step
        self.mark_dirty()

    def replot(self) -> None:
        self.begin("‖∂L/∂h_t‖ by step t (log)")
        plt = self.plt
        plotted = False
        series = ((self.first, f"@{self.first_step}", "gray"), (self.latest, f"@{self.latest_step}", None))
        for data, tag, color in series:
            if not data or (data is self.first and self.latest is self.first and color):
                continue
            for name, ys in list(data.items())[-2:]:
                pts = [(t + 1, y) for t, y in enumerate(ys) if math.isfinite(y) and y > 0]
                if pts:
                    kwargs = {"color": color} if color else {}
                    plt.plot(
                        [p[0] for p in pts], [p[1] for p in pts], label=f"{name} {tag}", marker="braille", **kwargs
                    )
                    plotted = True
        if plotted:
            plt.yscale("log")
        plt.xlabel("t")
        self.refresh()
