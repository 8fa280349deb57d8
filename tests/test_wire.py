"""Bytes on the wire (issue 15): a report redraws what changed, nothing else.

Textual re-sends every cell of a region marked dirty, changed or not: a whole-screen refresh is a
full frame (~14 KB at 120×40), a chart's refresh all its cells. These tests count refresh and
render calls over a sequence of reports; the bytes themselves are measured by benchmarks/wire.py.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable

from app_helpers import ready, wait_for
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.geometry import Region

from rnntui.app.app import RnnApp
from rnntui.app.widgets.chart_data import growing_end
from rnntui.app.widgets.train_charts import LossChart

VIEWS = (("1", "build"), ("2", "train"), ("3", "predict"), ("4", "runs"))


def counting(calls: Counter[str], name: str, method: Callable[..., object]) -> Callable[..., object]:
    def wrapper(*args: object, **kwargs: object) -> object:
        if not args:  # a whole-widget refresh (regions would say which part)
            calls[name] += 1
        return method(*args, **kwargs)

    return wrapper


async def test_a_report_repaints_neither_the_screen_nor_a_whole_view(tmp_path):
    """The state the views watch changes at every report (2.5 a second): declared as a plain
    reactive on the App it refreshed the App, which repaints the whole screen; on a view, the whole
    view. Each was a full frame per report, whatever changed (measured: 120 KB/s on Build)."""
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        for key, view_id in VIEWS:
            await pilot.press(*(["escape", key] if view_id != "predict" else [key]))
            await pilot.pause()
            view = app.query_one(f"#{view_id}")
            calls: Counter[str] = Counter()
            app.screen.refresh = counting(calls, "screen", app.screen.refresh)  # type: ignore[method-assign]
            view.refresh = counting(calls, view_id, view.refresh)  # type: ignore[method-assign]
            for i in range(1, 6):
                app.training = dataclasses.replace(app.training, step=app.training.step + i, elapsed=float(i))
                await pilot.pause()
            del app.screen.refresh, view.refresh
            assert calls == Counter(), f"whole-area repaints on {view_id}: {dict(calls)}"


async def test_the_same_numbers_are_not_sent_again(tmp_path):
    """A state change that leaves the top bar, the status line and the run's numbers as they were
    (a weight copy for the predictor, an evaluation between two reports) repaints none of them."""
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("2")
        await pilot.pause()
        calls: Counter[str] = Counter()
        shown = [app.query_one(f"#{name}") for name in ("topbar", "status", "metrics")]
        for widget in shown:
            widget.refresh = counting(calls, str(widget.id), widget.refresh)  # type: ignore[method-assign]
        for _ in range(5):
            app.training = dataclasses.replace(app.training)  # equal, not the same object: watchers run
            await pilot.pause()
        for widget in shown:
            del widget.refresh
        assert calls == Counter()


class TwoCharts(App[None]):
    """Two loss charts of the same size: one drawn step by step, one drawn once."""

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield LossChart(id="stepwise")
            yield LossChart(id="once")


def screen_cells(chart: LossChart) -> list[list[tuple[str, object]]]:
    """What the chart's lines put on the screen, cell by cell (the lines a repaint has not touched
    come from Textual's cache: they must still be right)."""
    lines = chart.render_lines(Region(0, 0, chart.size.width, chart.size.height))
    return [[(ch, seg.style) for seg in strip for ch in seg.text] for strip in lines]


def feed(chart: LossChart, losses: list[float]) -> None:
    chart.steps, chart.losses = [float(i) for i in range(1, len(losses) + 1)], losses
    chart.replot()


async def test_a_chart_sends_only_the_cells_a_new_point_changed():
    """A redraw refreshes, row by row, the cells that differ from the last drawing, never the whole
    chart (at 120×40 the three charts sent ~1,100 cells each per redraw); what the screen shows
    is still exactly what one drawing of the same data shows."""
    losses = [2.0 / (1 + 0.1 * i) for i in range(60)]
    async with TwoCharts().run_test(size=(100, 24)) as pilot:
        stepwise, once = pilot.app.query_one("#stepwise", LossChart), pilot.app.query_one("#once", LossChart)
        feed(stepwise, losses[:50])
        await pilot.pause()
        refreshed: list[tuple[object, ...]] = []
        plain_refresh = stepwise.refresh

        def spy(*regions: object, **kwargs: object) -> object:
            refreshed.append(regions)
            return plain_refresh(*regions, **kwargs)

        stepwise.refresh = spy  # type: ignore[method-assign]
        for n in range(51, 61):
            feed(stepwise, losses[:n])
            await pilot.pause()
        del stepwise.refresh
        assert len(refreshed) == 10 and all(refreshed), "a redraw refreshed the whole chart"
        area = stepwise.size.area
        assert all(sum(r.area for r in regions) < area for regions in refreshed)  # type: ignore[attr-defined]
        feed(once, losses)
        await pilot.pause()
        assert screen_cells(stepwise) == screen_cells(once)


def test_a_growing_step_axis_holds_still_until_the_run_reaches_its_end():
    ends = [growing_end(1, hi) for hi in range(100, 5001)]
    assert all(end > hi for end, hi in zip(ends, range(100, 5001), strict=True))
    assert all(hi - 1 >= 0.8 * (end - 1) for end, hi in zip(ends, range(100, 5001), strict=True))  # mostly full
    assert len(set(ends)) < 60  # 4,900 steps, under 60 different axes (the last point's end: 4,900)


async def test_ten_more_steps_send_a_sliver_of_the_loss_chart():
    """Ten steps within the range already drawn change the last columns of the curve: with the axis
    ending at the last point every point moved and most of the chart was sent again."""
    losses = [1.0 + 0.5 * ((i * 7919) % 13) / 12 for i in range(520)]  # bounded: the y axis stays
    async with TwoCharts().run_test(size=(100, 24)) as pilot:
        chart = pilot.app.query_one("#stepwise", LossChart)
        feed(chart, losses[:480])
        await pilot.pause()
        refreshed: list[Region] = []
        plain_refresh = chart.refresh

        def spy(*regions: Region, **kwargs: object) -> object:
            refreshed.extend(regions or [chart.size.region])
            return plain_refresh(*regions, **kwargs)

        chart.refresh = spy  # type: ignore[method-assign]
        feed(chart, losses[:490])  # the axis ends at 501 for both
        await pilot.pause()
        del chart.refresh
        assert 0 < sum(r.area for r in refreshed) < chart.size.area // 10


async def test_a_keystrokes_second_answer_draws_only_what_it_adds(tmp_path):
    """The predictor answers a keystroke twice: the next token and the steps first, then the
    continuation, what it looks at and the map. The second answer redrew the output and the
    heatmap as well, unchanged: every cell of both went down the wire again (char-lm's Predict sent
    55 KB/s while training, twice the first answer's bytes)."""
    from textual.widgets import Input, Static

    from rnntui.app.widgets.heatmap import Heatmap
    from rnntui.app.widgets.predict_view import PredictView

    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("3")
        view = app.query_one(PredictView)
        prefix = app.query_one("#prefix", Input)
        await wait_for(pilot, lambda: view.prediction is not None and view.prediction.prefix == prefix.value)
        await wait_for(pilot, lambda: not view.partial)
        calls: Counter[str] = Counter()

        def every_call(name: str, method: Callable[..., object]) -> Callable[..., object]:
            def wrapper(*args: object, **kwargs: object) -> object:
                calls[name] += 1
                return method(*args, **kwargs)

            return wrapper

        heatmap, output = app.query_one(Heatmap), app.query_one("#prediction", Static)
        heatmap.update = every_call("heatmap", heatmap.update)  # type: ignore[method-assign]
        output.update = every_call("output", output.update)  # type: ignore[method-assign]
        await pilot.press("end", "L")
        await wait_for(pilot, lambda: view.prediction.prefix == prefix.value and not view.partial)
        assert calls == Counter(heatmap=1, output=1), dict(calls)


async def test_a_new_heatmap_row_repaints_its_lines_not_the_box(tmp_path):
    """The heatmap fills its box: a key (or new weights) repainted every line of it, blank ones too,
    and each went down the wire (char-lm's Predict: 39 KB/s while training). Only the lines whose
    picture changed are repainted: here the new row, and nothing below it."""
    from rnntui.app.widgets.heat_layout import heat_rows
    from rnntui.app.widgets.heatmap import Heatmap

    rows = [tuple((t * 7 + u) % 19 / 10 - 0.9 for u in range(32)) for t in range(6)]
    tokens = list("HELLO ")

    class Box(App):
        def compose(self):
            yield Heatmap(id="heatmap")

    async with Box().run_test(size=(100, 30)) as pilot:
        heatmap = pilot.app.query_one(Heatmap)
        heatmap.show(heat_rows(rows[:5], tokens, width=90))
        await pilot.pause()
        refreshed: list[Region] = []
        refresh = heatmap.refresh

        def counted(*regions: Region, **kwargs: object):
            refreshed.extend(regions or [Region(0, 0, heatmap.size.width, heatmap.size.height)])
            return refresh(*regions, **kwargs)

        heatmap.refresh = counted  # type: ignore[method-assign]
        heatmap.show(heat_rows(rows[:6], tokens, width=90))  # one more step: its row, under the others
        await pilot.pause()
        del heatmap.refresh
        lines = sorted({y for r in refreshed for y in range(r.y, r.y + r.height)})
        head = len(heatmap._lines) - heatmap.total_rows
        assert lines == [head + 5], lines  # the 6th row alone (the title and scale did not change)
        assert heatmap.plain.splitlines()[-1].split()[0] == "␣"
