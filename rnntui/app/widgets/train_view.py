"""Train: the run's numbers on three lines, notices, samples, and the charts.

At 80 columns the charts are tabs (←/→ switch; one chart uses the whole width and height); from
120 columns all three stand side by side.
"""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from rnntui.app.plain import assemble, join, line
from rnntui.app.widgets.charts import ChartPanel
from rnntui.app.widgets.note import Note
from rnntui.app.widgets.train_charts import GradFlowChart, GradNormChart, LossChart
from rnntui.core import events as ev

CHARTS = (("loss", "loss"), ("grad", "grad norm"), ("flow", "‖∂L/∂h_t‖"))
CHART_KEYS = Binding.Group("charts", compact=True)
BAR_WIDTH = 24


def threads_note(threads: int | None) -> str:
    """How many CPU threads train (the trainer picks the faster count for the model)."""
    return f" · {threads} thread{'s' if threads > 1 else ''}" if threads else ""


def fmt(v: Any, digits: int = 4) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}g}" if math.isfinite(v) else str(v)
    return str(v)


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    frac = 0.0 if total <= 0 else max(0.0, min(1.0, done / total))
    full = int(frac * width)
    return "━" * full + ("╸" if full < width else "") + "─" * max(0, width - full - 1) + f" {frac:4.0%}"


def metrics_text(s: dict[str, Any], total: int, device: str, goal: Any) -> Text:
    """Three lines: progress; losses and the lesson's metric against its goal; speed and device."""
    step = s.get("step", 0)
    first = assemble(("step ", "dim"), (f"{step:,}", "bold"), f" / {total:,}  ", progress_bar(step, total))
    metric_name = s.get("metric_name") or "metric"
    second = assemble(
        ("loss ", "dim"),
        fmt(s.get("loss")),
        ("   val ", "dim"),
        fmt(s.get("val_loss")),
        "   ",
        line(metric_name, "dim"),
        " ",
        (fmt(s.get("metric")), "bold"),
    )
    if goal:
        sign = "≥" if goal.direction == "max" else "≤"
        value = s.get("metric")
        met = isinstance(value, float) and goal.met(value)
        second.append_text(assemble(("  goal ", "dim"), f"{sign} {goal.threshold:g}", (" ✓" if met else "", "green")))
    tps = s.get("tps")
    third = assemble(
        ("tokens/s ", "dim"),
        "–" if tps is None else f"{tps:,.0f}",
        ("   device ", "dim"),
        line(device),
        threads_note(s.get("threads")),
        ("   elapsed ", "dim"),
        f"{s.get('elapsed', 0.0):.1f} s",
    )
    return join([first, second, third])


class TrainView(Vertical, can_focus=True):
    BINDINGS = [
        Binding("left", "chart(-1)", "chart", group=CHART_KEYS, tooltip="the previous chart"),
        Binding("right", "chart(1)", "chart", group=CHART_KEYS, tooltip="the next chart"),
        Binding("g", "toggle_per_layer", "per layer", tooltip="gradient norm: total ↔ one line per layer"),
    ]

    def compose(self) -> ComposeResult:
        yield Static("", id="metrics")
        yield Static("", id="notice")
        yield Note(id="samples")
        yield Static("", id="chart-tabs")
        with Horizontal(id="charts"):
            yield ChartPanel(LossChart(id="loss-chart"), id="chart-loss")
            yield ChartPanel(GradNormChart(id="grad-chart"), id="chart-grad")
            yield ChartPanel(GradFlowChart(id="flow-chart"), id="chart-flow")

    def on_mount(self) -> None:
        self.state: dict[str, Any] = {}
        self.total_steps = 0
        self.device = "…"
        self.spec: Any = None
        self.chart = 0  # the chart shown when they are tabs
        self._show_tabs()

    # ---- charts as tabs (narrow) or side by side -----------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "chart":
            return self.app.has_class("-narrow")  # all three are on screen otherwise
        return True

    def action_chart(self, step: int) -> None:
        self.chart = (self.chart + step) % len(CHARTS)
        self._show_tabs()
        self.replot_all()

    def action_toggle_per_layer(self) -> None:
        self.toggle_per_layer()

    def _show_tabs(self) -> None:
        tabs = Text()
        for i, (_, label) in enumerate(CHARTS):
            tabs.append(f" {label} ", style="reverse bold" if i == self.chart else "dim")
            tabs.append(" ")
        tabs.append("←/→", style="bold")
        self.query_one("#chart-tabs", Static).update(tabs)
        for i, (key, _) in enumerate(CHARTS):
            self.query_one(f"#chart-{key}").set_class(i == self.chart, "-current")

    # ---- state ----------------------------------------------------------------------------------
    def reset(self, spec: Any, baseline: float | None, device: str) -> None:
        self.state = {"step": 0, "elapsed": 0.0}
        self.total_steps = spec.train.steps
        self.device = device
        self.spec = spec
        goal = spec.goal
        loss = self.query_one(LossChart)
        loss.goal_is_loss = bool(goal and goal.metric in ("val_loss", "mse"))
        loss.reset(baseline if baseline is not None else None, goal.threshold if goal else None)
        self.query_one(GradNormChart).reset(spec.train.clip_norm)
        self.query_one(GradFlowChart).reset()
        self.set_notice("")
        self.query_one("#samples", Static).update("")
        self.render_metrics()

    def set_notice(self, text: Text | str, kind: str = "") -> None:
        notice = self.query_one("#notice", Static)
        notice.update(text)
        notice.set_classes(kind)
        notice.display = bool(text)

    def render_metrics(self) -> None:
        goal = self.spec.goal if self.spec is not None else None
        self.query_one("#metrics", Static).update(metrics_text(self.state, self.total_steps, self.device, goal))

    def handle(self, e: ev.Event) -> None:
        s = self.state
        if isinstance(e, ev.Progress) and e.points:
            loss, grad = self.query_one(LossChart), self.query_one(GradNormChart)
            for p in e.points:
                loss.steps.append(p.step)
                loss.losses.append(p.loss)
                grad.steps.append(p.step)
                grad.norms.append(p.grad_norm)
                for name, v in p.layer_norms.items():
                    grad.layer_series.setdefault(name, []).append(v)
            last = e.points[-1]
            s.update(step=last.step, loss=last.loss, tps=e.tokens_per_s, elapsed=e.elapsed_s, threads=e.threads)
            loss.mark_dirty()
            grad.mark_dirty()
        elif isinstance(e, ev.Evaluated):
            s.update(val_loss=e.val_loss, metric=e.metric, metric_name=e.metric_name)
            goal = self.spec.goal if self.spec is not None else None
            if goal and goal.metric in e.metrics:
                s.update(metric=e.metrics[goal.metric], metric_name=goal.metric)
            chart = self.query_one(LossChart)
            chart.val.append((e.step, e.val_loss))
            chart.mark_dirty()
            if e.samples:
                samples = join([assemble((f"sample @{e.step} ", "bold"), line(x)) for x in e.samples[:2]])
                samples.no_wrap, samples.overflow = True, "ellipsis"
                self.query_one("#samples", Static).update(samples)
        elif isinstance(e, ev.GradientFlow):
            self.query_one(GradFlowChart).update_flow(e.step, e.norms)
        elif isinstance(e, ev.Diverged):
            self._rewind(e.restored_step)
            self.set_notice(
                assemble(
                    (f"diverged at step {e.step}", "bold"), f" (loss {fmt(e.loss)}, ‖g‖ {fmt(e.grad_norm)}): ", e.advice
                ),
                "-error",
            )
        elif isinstance(e, ev.GoalReached):
            self.set_notice(
                assemble(
                    ("goal reached", "bold"),
                    f" at step {e.step}: ",
                    line(e.metric),
                    f" = {e.value:.4g} (goal {e.threshold:g}). Try it in Predict (3).",
                ),
                "-success",
            )
        elif isinstance(e, ev.Started | ev.Finished):
            s["step"] = e.step
        self.render_metrics()

    def _rewind(self, step: int) -> None:
        """Training went back to `step` (its weights were the last good ones): so do the numbers
        and the curves, or the next single step would seem to repeat one."""
        self.state["step"] = step
        loss, grad = self.query_one(LossChart), self.query_one(GradNormChart)
        keep = sum(1 for x in loss.steps if x <= step)
        loss.steps, loss.losses = loss.steps[:keep], loss.losses[:keep]
        keep = sum(1 for x in grad.steps if x <= step)
        grad.steps, grad.norms = grad.steps[:keep], grad.norms[:keep]
        grad.layer_series = {k: v[:keep] for k, v in grad.layer_series.items()}
        loss.mark_dirty()
        grad.mark_dirty()

    def toggle_per_layer(self) -> None:
        chart = self.query_one(GradNormChart)
        chart.per_layer = not chart.per_layer
        chart.replot()

    def replot_all(self) -> None:
        for chart in (self.query_one(LossChart), self.query_one(GradNormChart), self.query_one(GradFlowChart)):
            chart.replot()
