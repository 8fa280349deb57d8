"""Live plotext charts with axes a reader trusts and a legend that names every line.

Each chart builds a list of `Series` (lines, scatters and reference lines such as the baseline,
the goal or the clip threshold), draws them with ticks from chart_axes.py, and keeps the legend
outside the plot, under it in its `ChartPanel`: plotext's own legend covered the curves and had no
entry for reference lines. Series are downsampled to about twice the widget's width (plotext's
build time grows with points: ~3 ms at 100, ~100 ms at 10,000).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.visual import VisualType
from textual.widgets import Static
from textual_plotext import PlotextPlot

from rnntui.app.widgets.chart_axes import finite, log_ticks, nice_ticks, step_label, value_label
from rnntui.core.textsafe import one_line

# plotext colour → the same colour for the legend (rich names differ for two of them)
COLORS = {"gray": "grey62", "orange": "dark_orange"}
CYCLE = ("cyan", "magenta", "orange", "green", "yellow", "blue", "red", "white")


@dataclass(frozen=True)
class Series:
    label: str
    xs: Sequence[float]
    ys: Sequence[float]
    color: str
    style: str = "line"  # line | points | level (a horizontal reference line across the x range)


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


def legend_text(series: Sequence[Series], width: int = 0) -> Text:
    """Every series' mark and name; lines break between entries, never inside one (`width` > 0)."""
    out = Text()
    used = 0
    for s in series:
        mark = {"points": "•", "level": "┄"}.get(s.style, "━")
        label = one_line(s.label)
        size = 2 + len(label)
        if used and width and used + 2 + size > width:
            out.append("\n")
            used = 0
        elif used:
            out.append("  ")
            used += 2
        out.append(mark, style=COLORS.get(s.color, s.color))
        out.append(" " + label)
        used += size
    return out


REDRAW_EVERY_S = 1.0  # charts redraw at most this often while data streams in
# ...and a chart waits this many times its own last render's cost between redraws, so charts take
# at most ~1/30 of the UI thread: every millisecond the UI thread holds the GIL delays the trainer's
# reader thread (measured: 3 charts at 0.4 s cost hello ~12 % of its steps/s when training in-process).
REDRAW_COST_FACTOR = 30


class Chart(PlotextPlot):
    DEFAULT_CSS = "Chart { height: 1fr; min-height: 6; }"
    title_text = ""
    x_label = "step"
    integer_x = True

    @dataclass
    class Replotted(Message):
        """The chart drew new series; its panel shows their legend."""

        series: list[Series]

    def on_mount(self) -> None:
        super().on_mount()
        self._dirty = False
        self._render_cost = 0.0
        self._rendered_at = 0.0
        self.set_interval(REDRAW_EVERY_S / 2, self._redraw_if_dirty)

    def mark_dirty(self) -> None:
        """New data: redraw at the next tick, not now (a plotext build costs milliseconds)."""
        self._dirty = True

    def _redraw_if_dirty(self) -> None:
        if not (self._dirty and self.is_on_screen):
            return
        wait = max(REDRAW_EVERY_S, REDRAW_COST_FACTOR * self._render_cost)
        if time.perf_counter() - self._rendered_at < wait:
            return
        self._dirty = False
        self.replot()

    def render(self) -> VisualType:
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

    # ---- what to draw (subclasses) ------------------------------------------------------------
    def build_series(self) -> list[Series]:
        return []

    def wants_log(self, series: Sequence[Series]) -> bool:
        """A log y axis when the positive values span more than two decades."""
        ys = [y for s in series for y in finite(s.ys) if y > 0]
        return bool(ys) and max(ys) / max(min(ys), 1e-12) > 100

    # ---- drawing ------------------------------------------------------------------------------
    def replot(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.title(self.title_text)
        series = [s for s in self.build_series() if s.xs or s.style == "level"]
        log = self.wants_log(series)
        xs_all = [x for s in series if s.style != "level" for x in s.xs]
        x_lo, x_hi = (min(xs_all), max(xs_all)) if xs_all else (0.0, 1.0)
        ys_seen: list[float] = []
        for s in series:
            xs, ys = (x_lo, x_hi), (s.ys[0], s.ys[0])
            if s.style != "level":
                xs, ys = downsample(s.xs, s.ys, self.points_budget())
            pairs = zip(xs, ys, strict=False)
            if log:  # drawn as log10 on a linear axis, so the ticks can say 1e-3 (plotext wrote 0.00000000)
                pts = [(x, math.log10(y)) for x, y in pairs if math.isfinite(y) and y > 0]
            else:
                pts = [(x, y) for x, y in pairs if math.isfinite(y)]
            if not pts:
                continue
            px, py = [p[0] for p in pts], [p[1] for p in pts]
            ys_seen += py
            if s.style == "points":
                plt.scatter(px, py, marker="dot", color=s.color)
            else:
                plt.plot(px, py, marker="braille", color=s.color)
        self._axes(x_lo, x_hi, ys_seen, log)
        plt.xlabel(self.x_label)
        self.refresh()
        self.post_message(self.Replotted(series))

    def _axes(self, x_lo: float, x_hi: float, ys: list[float], log: bool) -> None:
        plt = self.plt
        xt = nice_ticks(x_lo, x_hi, count=max(2, (self.size.width or 60) // 14), integer=self.integer_x)
        plt.xticks(xt, [step_label(x) if self.integer_x else value_label(x) for x in xt])
        if not ys:
            return
        lo, hi = min(ys), max(ys)
        if log:
            yt, labels = log_ticks(lo, hi)
        else:
            yt = nice_ticks(lo, hi, count=max(2, min(6, (self.size.height or 12) // 4)))
            labels = [value_label(y) for y in yt]
        plt.yticks(yt, labels)


class ChartPanel(Vertical):
    """A chart and, under it, the legend of what it draws."""

    DEFAULT_CSS = "ChartPanel { height: 1fr; } ChartPanel > .legend { height: auto; padding: 0 1; }"

    def __init__(self, chart: Chart, *, id: str | None = None, empty: str = "") -> None:
        super().__init__(id=id)
        self.chart = chart
        self.empty = empty  # said in the legend's place while the chart has nothing to draw
        self._series: list[Series] = []

    def compose(self) -> ComposeResult:
        yield self.chart
        yield Static("", classes="legend")

    def on_chart_replotted(self, message: Chart.Replotted) -> None:
        self._series = message.series
        self._show_legend()

    def on_resize(self) -> None:
        """A panel replotted while hidden (a tab at 80 columns) laid its legend out for no width:
        one entry a line, taking the chart's rows. Its real width is known only now."""
        self._show_legend()

    def _show_legend(self) -> None:
        width = self.content_size.width
        if width <= 0:
            return  # hidden: laid out when it is shown
        legend = legend_text(self._series, max(10, width - 2))
        self.query_one(".legend", Static).update(legend if legend or not self.empty else Text(self.empty, style="dim"))
