"""Train: the run's numbers on three lines, notices, samples, and the charts.

At 80 columns the charts are tabs (←/→ switch; one chart uses the whole width and height); from
120 columns all three stand side by side.
"""

from __future__ import annotations

import math

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.reactive import reactive, var
from textual.widgets import Static

from rnntui.app.chrome import show
from rnntui.app.plain import assemble, join, line
from rnntui.app.state import Notice, TrainingState
from rnntui.app.widgets.charts import Chart, ChartPanel, ChartRow, tab_text
from rnntui.app.widgets.fitted import Fitted
from rnntui.app.widgets.note import Note
from rnntui.app.widgets.train_charts import GradFlowChart, GradNormChart, LossChart
from rnntui.app.widgets.view_focus import RestylesItselfOnFocus
from rnntui.app.widgets.wrap import items_text, keep_together
from rnntui.core import events as ev
from rnntui.core.spec import GoalSpec

CHARTS = (("loss", "loss"), ("grad", "gradient norm"), ("flow", "‖∂L/∂h_t‖"))
GRAD_TAB = 1
CHART_KEYS = Binding.Group("charts", compact=True)
BAR_WIDTH = 24


def threads_note(threads: int | None) -> str:
    """How many CPU threads train (one rule by the model's size: core/threads.py)."""
    return f" · {threads} thread{'s' if threads > 1 else ''}" if threads else ""


def fmt(v: float | int | None, digits: int = 4) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}g}" if math.isfinite(v) else str(v)
    return str(v)


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    frac = 0.0 if total <= 0 else max(0.0, min(1.0, done / total))
    full = int(frac * width)
    return "━" * full + ("╸" if full < width else "") + "─" * max(0, width - full - 1) + f" {frac:4.0%}"


def metrics_text(s: TrainingState, goal: GoalSpec | None) -> Text:
    """Three lines: progress; losses and the lesson's metric against its goal; speed and device."""
    first = assemble(("step ", "dim"), (f"{s.step:,}", "bold"), f" / {s.total:,}  ", progress_bar(s.step, s.total))
    second = assemble(
        ("loss ", "dim"),
        fmt(s.loss),
        ("   val ", "dim"),
        fmt(s.val_loss),
        "   ",
        line(s.metric_name or "metric", "dim"),
        " ",
        (fmt(s.metric), "bold"),
    )
    if goal:
        sign = "≥" if goal.direction == "max" else "≤"
        met = s.metric is not None and goal.met_by(s.metric, s.val_loss, s.baseline)
        second.append_text(assemble(("  goal ", "dim"), f"{sign} {goal.threshold:g}", (" ✓" if met else "", "green")))
    third = assemble(
        ("tokens/s ", "dim"),
        "–" if s.tokens_per_s is None else f"{s.tokens_per_s:,.0f}",
        ("   device ", "dim"),
        line(s.device),
        threads_note(s.threads),
        ("   elapsed ", "dim"),
        f"{s.elapsed:.1f} s",
    )
    return join([first, second, third])


class TrainView(RestylesItselfOnFocus, Vertical, can_focus=True):
    BINDINGS = [
        Binding("left", "chart(-1)", "chart", group=CHART_KEYS, tooltip="the previous chart"),
        Binding("right", "chart(1)", "chart", group=CHART_KEYS, tooltip="the next chart"),
        # Offered only where the gradient-norm chart is on screen (its tab, or all three side by side);
        # the palette's "Toggle per-layer gradient norms" (toggle_per_layer) shows it first.
        Binding("g", "per_layer", "per layer", tooltip="gradient norm: total ↔ one line per layer"),
    ]

    def compose(self) -> ComposeResult:
        yield Fitted("", id="metrics")  # three lines of new numbers at each report: laid out again only if they wrap
        yield Static("", id="notice")
        yield Note(id="samples")
        yield Static("", id="chart-tabs")
        with ChartRow(id="charts"):
            yield ChartPanel(LossChart(id="loss-chart"), id="chart-loss")
            yield ChartPanel(GradNormChart(id="grad-chart"), id="chart-grad")
            yield ChartPanel(GradFlowChart(id="flow-chart"), id="chart-flow")

    training: reactive[TrainingState] = var(TrainingState(), always_update=True)

    def on_mount(self) -> None:
        self.chart = 0  # the chart shown when they are tabs
        self.notice: Notice | None = None
        self._show_tabs()

    # ---- charts as tabs (narrow) or side by side -----------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        tabs = self.app.has_class("-narrow")  # all three are on screen otherwise
        if action == "chart":
            return tabs
        if action == "per_layer":
            return not tabs or self.chart == GRAD_TAB
        return True

    def on_resize(self) -> None:
        self.refresh_bindings()  # tabs or side by side: ←/→ and g come or go
        self._show_notice()

    def action_chart(self, step: int) -> None:
        self.chart = (self.chart + step) % len(CHARTS)
        self._show_tabs()
        self.refresh_bindings()
        self.replot_all()

    def action_per_layer(self) -> None:
        chart = self.query_one(GradNormChart)
        chart.per_layer = not chart.per_layer
        chart.replot()

    def action_toggle_per_layer(self) -> None:
        """From the palette, on any chart: the gradient-norm chart comes up, then toggles."""
        if self.app.has_class("-narrow") and self.chart != GRAD_TAB:
            self.action_chart(GRAD_TAB - self.chart)
        self.action_per_layer()

    def _show_tabs(self) -> None:
        self.query_one("#chart-tabs", Static).update(tab_text([label for _, label in CHARTS], self.chart))
        for i, (key, _) in enumerate(CHARTS):
            self.query_one(f"#chart-{key}").set_class(i == self.chart, "-current")

    # ---- the state, drawn ------------------------------------------------------------------------
    def watch_training(self, old: TrainingState, new: TrainingState) -> None:
        """Redraw what changed: the numbers always (cheap), the charts' data when it changed (they
        redraw on their own timer), the notice and the samples when they changed."""
        goal = new.spec.goal if new.spec is not None else None
        show(self.query_one("#metrics", Static), metrics_text(new, goal), layout=True)
        if new.spec is not old.spec or new.curves is not old.curves or new.flow is not old.flow:
            self._charts(old, new)
        if new.notice is not old.notice:
            self.notice = new.notice
            self._show_notice()
        if new.samples != old.samples:
            samples = join([assemble((f"sample @{new.samples_at} ", "bold"), line(x)) for x in new.samples])
            samples.no_wrap, samples.overflow = True, "ellipsis"
            self.query_one("#samples", Note).update(samples if new.samples else "")

    def _charts(self, old: TrainingState, new: TrainingState) -> None:
        """New data for the charts whose data changed (the others draw nothing new)."""
        loss, grad, flow = self.query_one(LossChart), self.query_one(GradNormChart), self.query_one(GradFlowChart)
        changed: list[Chart] = []
        if new.spec is not old.spec or new.curves is not old.curves:
            if new.spec is not None:
                goal = new.spec.goal
                loss.goal_is_loss = bool(goal and goal.metric in ("val_loss", "mse"))
                loss.baseline, loss.goal = new.baseline, (goal.threshold if goal else None)
                grad.clip = new.spec.train.clip_norm
            c = new.curves
            loss.steps, loss.losses, loss.val = list(c.steps), list(c.losses), list(c.val)
            grad.steps, grad.norms = list(c.steps), list(c.grad_norms)
            grad.layer_series = {name: list(values) for name, values in c.layer_norms}
            changed += [loss, grad]
        if new.flow is not old.flow or new.spec is not old.spec:
            flow.set_flow(new.flow)
            changed.append(flow)
        for chart in changed:
            if new.curves.steps:
                chart.mark_dirty()
            else:  # a new network: its empty charts at once, not a second later
                chart.replot()

    def _show_notice(self) -> None:
        """The goal or divergence notice, laid out for the view's width (so its tail stays whole)."""
        shown = self.query_one("#notice", Static)
        note = self.notice
        width = self.content_size.width or 78
        shown.update(notice_text(note, width) if note is not None else "")
        shown.set_classes(note.style_class if note is not None else "")
        shown.display = note is not None

    def replot_all(self) -> None:
        for chart in (self.query_one(LossChart), self.query_one(GradNormChart), self.query_one(GradFlowChart)):
            chart.replot()

    def on_show(self) -> None:
        self.replot_all()


def notice_text(notice: Notice, width: int) -> Text:
    """The notice in at most a few lines: a divergence's head and the settings to try (each whole,
    breaking only between them); a goal's sentence with "Try it in Predict (3)." kept in one piece."""
    e = notice.event
    if isinstance(e, ev.Diverged):
        head = assemble(
            (f"diverged at step {e.step}", "bold"),
            f" (loss {fmt(e.loss)}, ‖g‖ {fmt(e.grad_norm)}): back to the weights of step {e.restored_step}.",
        )
        if not e.settings:  # an event from an older trainer: its advice as written
            return assemble(head, " ", e.advice)
        tips = [line(setting, "bold") for setting in e.settings]
        return assemble(head, "\n", items_text("try one: ", tips, width))
    head = assemble(
        ("goal reached", "bold"), f" at step {e.step}: ", line(e.metric), f" = {e.value:.4g} (goal {e.threshold:g})."
    )
    return keep_together(head, Text("Try it in Predict (3)."), width)
