"""Charts a reader trusts (issue 13.6): integer step ticks, 3 significant digits, log labels like
1e-3, every line named in a legend outside the plot, every layer drawn."""

from __future__ import annotations

import re

from app_helpers import inject, ready, screen_lines, wait_for

from rnntui.app.app import RnnApp
from rnntui.app.state import Flow
from rnntui.app.widgets.chart_axes import log_ticks, nice_ticks, step_label, value_label
from rnntui.app.widgets.charts import legend_text
from rnntui.app.widgets.train_charts import GradFlowChart, GradNormChart, LossChart
from rnntui.core import events as ev


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
    assert labels == ["1e-6", "1e-4", "0.01", "1"] and ticks == [-6, -4, -2, 0]
    _, labels = log_ticks(-3.4, -2.2)  # less than two decades: 2× and 5× fill in
    assert labels == ["5e-4", "1e-3", "2e-3", "5e-3"]  # one notation on one axis
    _, labels = log_ticks(-2.4, -0.9)
    assert labels == ["0.005", "0.01", "0.02", "0.05", "0.1"]
    assert not any("0.0000" in label for label in labels)


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
        assert [int(x) for x in axis.split()] == [50, 100, 150, 200, 250]
        assert any("baseline" in r for r in rows)
