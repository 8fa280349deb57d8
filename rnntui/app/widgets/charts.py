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
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.message import Message
from textual.timer import Timer
from textual.visual import VisualType
from textual_plotext import PlotextPlot

from rnntui.app.widgets.chart_axes import finite, log_ticks, nice_ticks, step_label, value_label
from rnntui.app.widgets.chart_data import downsample, downsample_on, growing_end
from rnntui.app.widgets.chart_diff import Cells, changed_regions, drawing_cells
from rnntui.app.widgets.fitted import Fitted
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


def tab_text(labels: Sequence[str], current: int) -> Text:
    """Charts shown one at a time (80 columns): their names, the current one lit, and ←/→."""
    tabs = Text()
    for i, label in enumerate(labels):
        tabs.append(f" {label} ", style="reverse bold" if i == current else "dim")
        tabs.append(" ")
    tabs.append("←/→", style="bold")
    return tabs


REDRAW_EVERY_S = 1.0  # charts redraw at most this often while data streams in
# ...and a chart waits this many times its own last render's cost between redraws, so charts take
# at most ~1/30 of the UI thread (the keys, the other views and the training replies share it).
REDRAW_COST_FACTOR = 30
MIN_WAIT_S = 0.02  # a timer of 0 s divides by zero in Textual 8
PLOT_CHROME_ROWS = 5  # a chart's rows that are not plot: title, frame top and bottom, tick labels, axis name


class Chart(PlotextPlot):
    DEFAULT_CSS = "Chart { height: 1fr; min-height: 6; }"
    title_text = ""
    x_label = "step"
    integer_x = True
    grows = False  # x is training steps, growing: the axis holds still between redraws (growing_end)

    @dataclass
    class Replotted(Message):
        """The chart drew new series; its panel shows their legend."""

        series: list[Series]

    def on_mount(self) -> None:
        super().on_mount()
        self._dirty = False
        self._render_cost = 0.0
        self._rendered_at = 0.0
        self._redraw_timer: Timer | None = None
        self._drawn: tuple[str, list[Series], Size] | None = None  # what is on screen, to skip redrawing it
        self._version = 0  # counts the drawings replot() made
        self._built: tuple[tuple[int, Size, str], VisualType] | None = None  # the last build, by drawing
        self._cells: tuple[Size, list[Cells] | None] | None = None  # the last build's cells, to diff

    def mark_dirty(self) -> None:
        """New data: redraw soon, not now (a plotext build costs milliseconds). One timer, set only
        when something changed and gone once it has fired: nothing runs while nothing changes."""
        self._dirty = True
        if self._redraw_timer is not None:
            return  # a redraw is already due: it draws this data too
        wait = max(REDRAW_EVERY_S, REDRAW_COST_FACTOR * self._render_cost)
        due = max(MIN_WAIT_S, wait - (time.perf_counter() - self._rendered_at))
        self._redraw_timer = self.set_timer(due, self._redraw_due, name="chart redraw")

    def _redraw_due(self) -> None:
        self._redraw_timer = None
        if self._dirty and self.is_on_screen:  # a hidden chart (a tab) redraws when it is shown
            self.replot()

    def on_show(self) -> None:
        if self._dirty:
            self.replot()

    def on_resize(self) -> None:
        """Ticks and points are chosen for the size: a new size is a new drawing."""
        if self.size.area:
            self.replot()

    def render(self) -> VisualType:
        # A refresh that is not a new drawing (the view shown again, a layout pass) reuses the last
        # build: plotext's build costs ~10-20 ms a chart, on the event loop, at every view switch.
        key = (self._version, self.size, self.app.theme)
        if self._built is not None and self._built[0] == key:
            return self._built[1]
        t0 = time.perf_counter()
        # A chart must never take the app down (plotext raises on some degenerate data).
        try:
            shown: VisualType = super().render()
        except Exception as exc:  # pragma: no cover - defensive
            shown = f"(chart unavailable: {type(exc).__name__})"
        finally:
            self._rendered_at = time.perf_counter()
            self._render_cost = self._rendered_at - t0
        self._built = (key, shown)
        self._cells = (self.size, drawing_cells(shown) if isinstance(shown, Text) else None)
        return shown

    def _send(self) -> None:
        """Refresh only the cells that the new drawing changed (chart_diff.py); all of them when
        the last drawing is not known at this size."""
        before = self._cells
        if not self.size.area or before is None or before[0] != self.size:
            self.refresh()
            return
        self.render()  # the build, now rather than at the refresh (render() keeps it for that)
        regions = changed_regions(before[1], self._cells[1] if self._cells else None)
        if regions is None:
            self.refresh()
        elif regions:
            self.refresh(*regions)

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
        """Draw the series now (when they differ from those on screen, or the size changed)."""
        self._dirty = False
        series = [s for s in self.build_series() if s.xs or s.style == "level"]
        drawing = (self.title_text, series, self.size)
        if drawing == self._drawn:
            return  # the same picture: nothing new goes to the terminal
        self._drawn = drawing
        self._version += 1
        plt = self.plt
        plt.clear_data()
        plt.title(self.title_text)
        log = self.wants_log(series)
        xs_all = [x for s in series if s.style != "level" for x in s.xs]
        x_lo, x_hi = (min(xs_all), max(xs_all)) if xs_all else (0.0, 1.0)
        if self.grows and xs_all:
            x_hi = growing_end(x_lo, x_hi)
            plt.xlim(x_lo, x_hi)
        ys_seen: list[float] = []
        for s in series:
            xs, ys = (x_lo, x_hi), (s.ys[0], s.ys[0])
            if s.style != "level":
                budget = self.points_budget()
                xs, ys = downsample_on(s.xs, s.ys, budget, x_lo, x_hi) if self.grows else downsample(s.xs, s.ys, budget)
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
        self._send()
        self.post_message(self.Replotted(series))

    def _axes(self, x_lo: float, x_hi: float, ys: list[float], log: bool) -> None:
        """Ticks for the room there is: on x one per ~14 columns (at least two), on y one per ~3
        rows of the plot (at least three: one or two labels do not say the scale)."""
        plt = self.plt
        width, height = self.size.width or 60, self.size.height or 12
        x_label = step_label if self.integer_x else value_label
        xt = nice_ticks(x_lo, x_hi, count=max(2, width // 14), integer=self.integer_x, at_least=2, label=x_label)
        plt.xticks(xt, [x_label(x) for x in xt])
        if not ys:
            return
        rows = height - PLOT_CHROME_ROWS
        count, at_least = max(3, min(6, rows // 3)), 3 if rows >= 5 else 2
        lo, hi = min(ys), max(ys)
        if log:
            yt, labels = log_ticks(lo, hi, count=count, at_least=at_least)
        else:
            yt = nice_ticks(lo, hi, count=count, at_least=at_least, label=value_label)
            labels = [value_label(y) for y in yt]
        plt.yticks(yt, labels)


class ChartPanel(Vertical):
    """A chart and, under it, the legend of what it draws."""

    DEFAULT_CSS = "ChartPanel { height: 1fr; } ChartPanel > .legend { height: auto; padding: 0 1; }"

    class LegendShown(Message):
        """The legend changed: the charts beside it line up their plots (ChartRow)."""

    def __init__(self, chart: Chart, *, id: str | None = None, empty: str = "") -> None:
        super().__init__(id=id)
        self.chart = chart
        self.empty = empty  # said in the legend's place while the chart has nothing to draw
        self._series: list[Series] = []
        self._legend: Text | None = None
        self.legend_lines = 1

    def compose(self) -> ComposeResult:
        yield self.chart
        yield Fitted("", classes="legend")  # (laid out again only when its height changes)

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
        if not legend and self.empty:
            legend = Text(self.empty, style="dim")
        if legend != self._legend:  # (an unchanged one is not sent to the terminal again)
            self._legend = legend
            self.legend_lines = legend.plain.count("\n") + 1
            self.query_one(".legend", Fitted).update(legend)
        self.post_message(self.LegendShown())  # shown now, perhaps beside other charts than before


class ChartRow(Horizontal):
    """Charts side by side with their plots the same height: every shown legend as tall as the
    tallest (a two-line legend under one chart put its frame a row above its neighbours')."""

    def on_chart_panel_legend_shown(self, message: ChartPanel.LegendShown) -> None:
        message.stop()
        shown = [panel for panel in self.query_children(ChartPanel) if panel.display]
        tallest = max((panel.legend_lines for panel in shown), default=1)
        for panel in shown:
            panel.query_one(".legend").styles.min_height = tallest
