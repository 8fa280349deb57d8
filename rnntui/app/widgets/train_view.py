"""Train: live charts, a metrics panel, a progress bar, samples and notices."""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import ProgressBar, Static

from rnntui.app.plain import assemble, join, line
from rnntui.app.widgets.charts import GradFlowChart, GradNormChart, LossChart
from rnntui.core import events as ev

METRICS_INNER_WIDTH = 30  # #metrics is 34 wide with a border and padding (app.tcss)


def threads_note(threads: int | None) -> str:
    """How many CPU threads train (the trainer picks the faster count for the model)."""
    return f" · {threads} thread{'s' if threads > 1 else ''}" if threads else ""


def fmt(v: Any, digits: int = 4) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}g}" if math.isfinite(v) else str(v)
    return str(v)


class TrainView(VerticalScroll):
    def compose(self) -> ComposeResult:
        with Horizontal(id="train-top"):
            yield Static("", id="metrics")
            with Vertical(id="train-side"):
                yield ProgressBar(id="progress", show_eta=False)
                yield Static("", id="notice")
                yield Static("", id="samples")
        with Horizontal(id="charts"):
            yield LossChart(id="loss-chart")
            yield GradNormChart(id="grad-chart")
            yield GradFlowChart(id="flow-chart")

    def on_mount(self) -> None:
        self._metrics_shape: tuple[int, ...] = ()
        self.state: dict[str, Any] = {}
        self.total_steps = 0
        self.device = "…"

    def reset(self, spec: Any, baseline: float | None, device: str) -> None:
        self.state = {
            "step": 0,
            "loss": None,
            "val_loss": None,
            "metric": None,
            "metric_name": "",
            "tps": None,
            "elapsed": 0.0,
            "params": None,
            "run_dir": None,
        }
        self.total_steps = spec.train.steps
        self.device = device
        self.spec = spec
        goal = spec.goal
        loss = self.query_one(LossChart)
        loss.goal_is_loss = bool(goal and goal.metric in ("val_loss", "mse"))
        loss.reset(baseline if baseline is not None else None, goal.threshold if goal else None)
        self.query_one(GradNormChart).reset(spec.train.clip_norm)
        self.query_one(GradFlowChart).reset()
        self.query_one(ProgressBar).update(total=max(1, spec.train.steps), progress=0)
        self.query_one("#notice", Static).update("")
        self.query_one("#samples", Static).update("")
        self.render_metrics()

    def set_notice(self, text: Text | str, kind: str = "") -> None:
        notice = self.query_one("#notice", Static)
        notice.update(text)
        notice.set_classes(kind)

    def render_metrics(self, status: str = "") -> None:
        s = self.state
        goal = getattr(self, "spec", None) and self.spec.goal
        tps = s.get("tps")
        lines = [
            assemble("step      ", (f"{s.get('step', 0):,}", "bold"), f" / {self.total_steps:,}"),
            Text(f"loss      {fmt(s.get('loss'))}"),
            Text(f"val loss  {fmt(s.get('val_loss'))}"),
            assemble(line(f"{(s.get('metric_name') or 'metric')[:9]:<9}"), f" {fmt(s.get('metric'))}"),
            Text(f"tokens/s  {'–' if tps is None else f'{tps:,.0f}'}"),
            assemble("device    ", line(self.device), threads_note(s.get("threads"))),
            Text(f"elapsed   {s.get('elapsed', 0.0):.1f}s"),
        ]
        if goal:
            sign = "≥" if goal.direction == "max" else "≤"
            lines.append(assemble("goal      ", line(goal.metric), f" {sign} {goal.threshold:g}"))
        if status:
            lines.append(line(status, "bold"))
        # A layout pass re-arranges the whole screen (~20 ms here, 10× a second while training):
        # only ask for one when the panel's height can have changed.
        shape = tuple(len(t.plain) // METRICS_INNER_WIDTH for t in lines)
        self.query_one("#metrics", Static).update(join(lines), layout=shape != self._metrics_shape)
        self._metrics_shape = shape

    def handle(self, e: ev.Event, status: str = "") -> None:
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
            s["step"], s["loss"], s["tps"], s["elapsed"], s["threads"] = (
                e.points[-1].step,
                e.points[-1].loss,
                e.tokens_per_s,
                e.elapsed_s,
                e.threads,
            )
            self.query_one(ProgressBar).update(progress=e.points[-1].step)
            loss.mark_dirty()
            grad.mark_dirty()
        elif isinstance(e, ev.Evaluated):
            s["val_loss"], s["metric"], s["metric_name"] = e.val_loss, e.metric, e.metric_name
            goal = getattr(self, "spec", None) and self.spec.goal
            if goal and goal.metric in e.metrics:
                s["metric"], s["metric_name"] = e.metrics[goal.metric], goal.metric
            chart = self.query_one(LossChart)
            chart.val.append((e.step, e.val_loss))
            chart.mark_dirty()
            if e.samples:
                samples = [Text(f"samples @ step {e.step}", style="bold")] + [line(x[:200]) for x in e.samples[:2]]
                self.query_one("#samples", Static).update(join(samples))
        elif isinstance(e, ev.GradientFlow):
            self.query_one(GradFlowChart).update_flow(e.step, e.norms)
        elif isinstance(e, ev.Diverged):
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
        elif isinstance(e, ev.Started):
            s["run_dir"] = e.run_dir
        self.render_metrics(status)

    def toggle_per_layer(self) -> None:
        chart = self.query_one(GradNormChart)
        chart.per_layer = not chart.per_layer
        chart.replot()

    def replot_all(self) -> None:
        for chart in (self.query_one(LossChart), self.query_one(GradNormChart), self.query_one(GradFlowChart)):
            chart.replot()
