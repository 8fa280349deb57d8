"""Charts a reader trusts (issue 13.6): integer step ticks, 3 significant digits, log labels like
1e-3, every line named in a legend outside the plot, every layer drawn."""

from __future__ import annotations

import json
import re
from pathlib import Path

from app_helpers import inject, ready, screen_lines, wait_for

from helpers import tiny
from rnntui.app.app import RnnApp
from rnntui.app.state import Flow
from rnntui.app.widgets.chart_axes import log_ticks, nice_ticks, step_label, value_label
from rnntui.app.widgets.charts import legend_text
from rnntui.app.widgets.train_charts import GradFlowChart, GradNormChart, LossChart
from rnntui.core import events as ev
from rnntui.core.runs import RunDir
from rnntui.core.trainer import Trainer


def test_step_ticks_are_whole_nice_numbers() -> None:
    assert nice_ticks(3, 585, count=5, integer=True) == [100, 200, 300, 400, 500]
    assert nice_ticks(1, 7, count=5, integer=True) == [1, 2, 3, 4, 5, 6, 7]
    assert nice_ticks(0, 3, count=5, integer=True) == [0, 1, 2, 3]  # never half a step
    assert all(t == int(t) for t in nice_ticks(0, 13, count=10, integer=True))
    assert [step_label(x) for x in (300, 1500, 120_000, 2_500_000)] == ["300", "1500", "120k", "2.5M"]


def test_values_have_three_significant_digits_and_logs_read_as_powers() -> None:
    assert [value_label(v) for v in (2.71828, 0.123456, 1234.5, 0.00052, 0.0, 2.5e6)] == [
        "2.72",
        "0.123",
        "1230",
        "5.2e-4",
        "0",
        "2.5e6",
    ]
    ticks, labels = log_ticks(-6, 1)
    assert labels == ["1e-6", "1e-4", "1e-2", "1e0"] and ticks == [-6, -4, -2, 0]  # one notation an axis
    assert log_ticks(-3.1, -0.2)[1] == ["1e-3", "1e-2", "1e-1"]  # not 1e-3 0.01 0.1: two scales
    _, labels = log_ticks(-3.4, -2.2)  # less than two decades: 2× and 5× fill in
    assert labels == ["5e-4", "1e-3", "2e-3", "5e-3"]
    _, labels = log_ticks(-2.4, -0.9)
    assert labels == ["5e-3", "1e-2", "2e-2", "5e-2", "1e-1"]
    assert log_ticks(-1.9, 0.9)[1] == ["0.02", "0.05", "0.1", "0.2", "0.5", "1", "2", "5"]  # all plain
    assert len(log_ticks(-0.2, 0)[0]) >= 3  # a fifth of a decade still has three ticks
    assert not any("0.0000" in label for label in labels)


def test_every_axis_has_enough_ticks_where_the_room_allows() -> None:
    # 150 steps on a narrow chart: the nearest nice step (100) gave a single tick
    assert nice_ticks(1, 150, count=2, integer=True, at_least=2) == [50, 100, 150]
    assert len(nice_ticks(2.3, 5.0, count=2, at_least=3, label=value_label)) >= 3  # a short chart had "4" alone
    assert nice_ticks(0, 1, count=3, integer=True, at_least=3) == [0, 1]  # no room: no half steps
    labels = [value_label(t) for t in nice_ticks(2.341, 2.347, count=3, at_least=3, label=value_label)]
    assert len(labels) == len(set(labels))  # 3 significant digits: never the same label twice


def test_reference_lines_are_in_the_legend() -> None:
    loss = LossChart()
    loss.steps, loss.losses, loss.val = [1, 2], [3.0, 2.0], [(2, 2.5)]
    loss.baseline, loss.goal, loss.goal_is_loss = 2.72, 0.5, True
    names = legend_text(loss.build_series()).plain
    for name in ("train", "smoothed", "val", "baseline 2.72", "goal 0.5"):
        assert name in names
    grad = GradNormChart()
    grad.steps, grad.norms, grad.clip = [1], [4.0], 1.0
    assert "clip 1" in legend_text(grad.build_series()).plain


def test_gradient_through_time_draws_every_layer() -> None:
    flow = GradFlowChart()
    norms = {"enc layer 1 →": [1.0, 0.5], "enc layer 1 ←": [0.9, 0.4], "dec layer 1": [0.3, 0.2]}
    flow.set_flow(Flow(0, norms, 40, {k: [v * 2 for v in vs] for k, vs in norms.items()}))
    labels = [s.label for s in flow.build_series()]
    assert len(labels) == 6 and {f"{k} @40" for k in norms} <= set(labels) and {f"{k} @0" for k in norms} <= set(labels)


async def test_the_drawn_step_axis_has_whole_numbers(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("2")
        points = [
            ev.StepPoint(step=i, loss=3.0 / i, grad_norm=1.0, clipped=False, layer_norms={}, lr=0.01)
            for i in range(1, 299)
        ]
        inject(app, ev.Progress(points=points, tokens_per_s=1, steps_per_s=1, elapsed_s=1))
        chart = app.query_one(LossChart)
        await wait_for(pilot, lambda: len(chart.steps) == 298)
        chart.replot()
        await pilot.pause()
        rows = screen_lines(app)
        axis = next(r for r in rows if re.fullmatch(r"[\s\d]+", r) and r.strip())  # the tick labels under the plot
        # The step axis runs a little past the last step (to 301 here) and holds still while the
        # run grows into it (charts.py, Chart.grows): its last tick, 300, is past the data.
        assert [int(x) for x in axis.split()] == [50, 100, 150, 200, 250, 300]
        assert any("baseline" in r for r in rows)


def frame_bottom(rows: list[str], left: int, width: int) -> int:
    """The screen row of a chart's lower frame edge, inside the columns [left, left + width)."""
    return max(i for i, row in enumerate(rows) if "└" in row[left : left + width])


async def test_the_three_train_charts_line_up_and_every_axis_has_ticks_at_120x40(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("2")
        points = [
            ev.StepPoint(step=i, loss=3.0 / i**0.5, grad_norm=2.0 / i**0.3, clipped=False, layer_norms={}, lr=0.01)
            for i in range(1, 151)
        ]
        inject(app, ev.GradientFlow(step=0, norms={"layer 1": [0.001 * 1.3**t for t in range(24)]}, probe_s=0.01))
        inject(app, ev.Progress(points=points, tokens_per_s=1, steps_per_s=1, elapsed_s=1))
        inject(app, ev.Evaluated(step=150, val_loss=0.9, metric_name="accuracy", metric=0.5, metrics={}))
        await wait_for(pilot, lambda: app.training.step == 150 and app.training.curves.val)
        app.view("train").replot_all()
        await pilot.pause()
        await pilot.pause()
        rows = screen_lines(app)
        panels = [app.query_one(f"#chart-{key}") for key in ("loss", "grad", "flow")]
        assert panels[0].query_one(".legend").region.height == 2  # train, smoothed, val, baseline: two lines
        bottoms = {frame_bottom(rows, p.region.x, p.region.width) for p in panels}
        assert len(bottoms) == 1, bottoms  # one row: the plots line up
        bottom = bottoms.pop()
        for p in panels:
            x_ticks = re.findall(r"\d+", rows[bottom + 1][p.region.x : p.region.right])
            y_ticks = [r for r in rows[p.region.y : bottom] if "┤" in r[p.region.x : p.region.right]]
            assert len(x_ticks) >= 2 and len(y_ticks) >= 3, (p.id, x_ticks, len(y_ticks))


async def test_charts_run_no_timer_while_nothing_changes(tmp_path) -> None:
    """A chart redraws from a one-shot timer set when its data changes (issue 14: five 0.5 s
    intervals polled a dirty flag for ever)."""
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("2")
        charts = [app.query_one(LossChart), app.query_one(GradNormChart), app.query_one(GradFlowChart)]
        runs_charts = list(app.query("OverlayChart"))
        await pilot.pause()
        assert not any(c._timers for c in charts + runs_charts)  # nothing changed: nothing runs
        points = [
            ev.StepPoint(step=i, loss=1.0 / i, grad_norm=1.0, clipped=False, layer_norms={}, lr=0.01) for i in (1, 2)
        ]
        inject(app, ev.Progress(points=points, tokens_per_s=1, steps_per_s=1, elapsed_s=1))
        await wait_for(pilot, lambda: app.training.step == 2)
        loss, grad, flow = charts
        assert loss._timers and grad._timers and not flow._timers  # the flow chart's data did not change
        await wait_for(pilot, lambda: not loss._timers and loss.steps == [1, 2] and not loss._dirty)
        assert not any(c._timers for c in charts)  # drawn: the timers are gone


def run_with_losses(base: Path, losses: list[float]) -> None:
    """A finished run whose metrics.jsonl logged these losses, one a step."""
    spec = tiny("char_lm", {"seq_len": 12, "corpus": "hello", "case": "upper"}, cell="gru")
    run = RunDir.create(base, spec)
    Trainer(spec, run=run).checkpoint()
    run.set_status("complete", step=len(losses))
    records = [
        {"event": "step", "step": s, "loss": loss, "grad_norm": 1.0, "clipped": False, "layer_norms": {}, "lr": 0.01}
        for s, loss in enumerate(losses, 1)
    ]
    run.metrics_path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


async def test_the_runs_overlay_has_three_value_ticks_at_80x24(tmp_path) -> None:
    for _ in range(7):  # a full table, and a line for a folder it cannot read: the chart has few rows
        run_with_losses(tmp_path, [2.1 + 2.9 / (1 + s / 20) for s in range(300)])  # 5.0 down to 2.3: "4" alone
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "spec.toml").write_text("[model")
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("4")
        await wait_for(pilot, lambda: len(app.query_one("#runs").runs) == 7 and app.query_one("#runs-problems").display)
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(app.query_one("#runs-loss").series) == 1)
        app.query_one("#runs-loss").replot()
        await pilot.pause()
        labels = [row.split("┤")[0].strip() for row in screen_lines(app) if "┤" in row]
        assert len(labels) >= 3, "\n".join(screen_lines(app))  # one or two labels do not tell the scale
