"""At 80×24 — the size of most terminals and SSH sessions — every view is complete (issue 13.5):
the key bar lists every key that works, the status line is whole, the charts are on screen, the
Runs columns and the delete question fit; help lists every key of the view (13.8)."""

from __future__ import annotations

import dataclasses

import pytest
import tomllib
from app_helpers import inject, ready, screen_lines, wait_for
from textual.widgets import DataTable, Input

from helpers import tiny
from rnntui.app.app import RnnApp
from rnntui.app.state import Phase
from rnntui.app.widgets.key_bar import KeyBar, hints
from rnntui.app.widgets.train_charts import GradNormChart
from rnntui.core import events as ev
from rnntui.core.divergence import advice, tips
from rnntui.core.presets import builtin_dir, resolve
from rnntui.core.runs import RunDir
from rnntui.core.spec import CELL_LABELS
from rnntui.core.trainer import Trainer

SIZE = (80, 24)


def make_run(base, name: str = "a-long-preset-name") -> RunDir:
    spec = tiny("char_lm", {"seq_len": 12, "corpus": "hello", "case": "upper"}, cell="gru", bidirectional=False)
    spec = dataclasses.replace(spec, name=name, train=dataclasses.replace(spec.train, steps=4))
    run = RunDir.create(base, spec)
    Trainer(spec, run=run).run()
    return run


def check_chrome(app: RnnApp) -> None:
    """The last line lists every active key; the line above shows the whole status."""
    lines = screen_lines(app)
    assert len(lines) == SIZE[1]
    keys_line, status_line = lines[-1], lines[-2]
    for key in app.query_one(KeyBar).shown_keys:
        assert key in keys_line, (key, keys_line)
    assert len(keys_line) <= SIZE[0]
    shown = app.notice or app.status
    assert status_line.strip() == shown, (status_line, shown)


@pytest.mark.parametrize("view", ["1", "2", "3", "4"])
async def test_every_view_shows_all_its_keys_and_the_whole_status_at_80x24(tmp_path, view) -> None:
    make_run(tmp_path)
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, "hello")
        await pilot.press(view)
        await pilot.pause()
        if view == "3":
            await pilot.press("escape")  # out of the prefix field: the view's and the app's keys
            await pilot.pause()
        check_chrome(app)
        expected = {h.keys for h in hints(app.screen)}
        assert {"1-4", "space", "s", "r", "p", "?", "q", "^p"} <= expected


async def test_the_chart_is_on_screen_in_train_at_80x24(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, "hello")
        await pilot.press("2")
        await pilot.pause()
        chart = app.query_one("#chart-loss")
        assert chart.display and chart.region.height >= 8
        assert chart.region.bottom <= SIZE[1] - 2  # above the status line and the keys
        await pilot.press("right")
        await pilot.pause()
        assert app.query_one("#chart-grad").region.height >= 8 and not app.query_one("#chart-loss").display


def longest_shipped(key: str) -> str:
    """The longest preset name (`name`) or goal metric name (`metric`) of the shipped presets."""
    files = list(builtin_dir().glob("*.toml"))
    names = [p.stem for p in files] if key == "name" else [tomllib.loads(p.read_text())["goal"][key] for p in files]
    return max(names, key=len)


def widest_run(base, name: str, metric: str) -> None:
    """A run whose every cell is as wide as the shipped presets make them: a long status, a
    bidirectional RNN-tanh of 3×128, a five-digit step count, a negative value of the longest metric."""
    spec = resolve("sentiment")
    model = dataclasses.replace(spec.model, cell="rnn_tanh", bidirectional=True, num_layers=3, hidden_size=128)
    spec = dataclasses.replace(spec, name=name, model=model)
    run = RunDir.create(base, spec)
    Trainer(spec, run=run).checkpoint()
    goal = {"metric": metric, "threshold": 0.5, "direction": "max", "baseline": None, "value": -0.1234, "met": False}
    run.set_status("interrupted", step=12_000, goal=goal)


async def test_runs_columns_and_the_delete_question_fit_at_80x24(tmp_path) -> None:
    name, metric = longest_shipped("name"), longest_shipped("metric")
    widest_run(tmp_path, name, metric)
    finished = make_run(tmp_path, name)
    goal = {"metric": metric, "threshold": 0.5, "direction": "max", "baseline": None, "value": 0.8123, "met": True}
    finished.set_status("complete", goal=goal)
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, "hello")
        await pilot.press("4")
        view, table = app.query_one("#runs"), app.query_one("#runs-table", DataTable)
        await wait_for(pilot, lambda: len(view.runs) == 2 and not getattr(view, "scanning", False))
        await pilot.pause()
        rows = screen_lines(app)
        for column in table.columns.values():
            assert str(column.label) in rows[1], rows[1]
        for i, run in enumerate(view.runs):
            row = rows[2 + i]
            assert f" {run.name} " in row, row  # the preset's name, whole
            value = "–" if run.value is None else f"{run.value:.3g}"
            size = f"{run.layers}×{run.hidden}"
            for cell in (CELL_LABELS[run.cell], size, str(run.steps), value, run.status):
                assert f" {cell} " in f" {row} ", (cell, row)  # every cell whole
            from rnntui.app.widgets.runs_table import METRIC_SHORT

            assert f" {metric} " in row or f" {METRIC_SHORT[metric]} " in row, row  # whole, or its short form
        assert not table.show_horizontal_scrollbar, table.fit  # a scrollbar took a row of the table
        table.move_cursor(row=[r.metric for r in view.runs].index(metric))
        await pilot.pause()
        assert any(metric in row for row in screen_lines(app)), rows  # the full name, under the table
        await pilot.press("d")
        await pilot.pause()
        name = view.current().path.name
        shown = [row.strip(" █│") for row in screen_lines(app)]
        assert "Delete the run" in shown and name in shown and "and all its files?" in shown
        assert any("Delete (y)" in row and "Keep (n)" in row for row in shown)
        await pilot.press("n")


def help_text(app: RnnApp) -> str:
    """Help's rows as "  KEYS TEXT" lines."""
    rows = app.screen.query(".help-row")
    return "\n".join(f"  {r.query_one('.help-keys').content} {r.query_one('.help-text').content}" for r in rows)


async def test_help_lists_every_key_of_the_view(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, "hello")
        await pilot.press("4")
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        text = help_text(app)
        for key in ("⏎", "d", "o", "c", "f5", "space", "s", "r", "p", "q", "esc", "ctrl+p", "tab"):
            assert f"  {key} " in text, key
        await pilot.press("escape")
        await pilot.press("1")
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        text = help_text(app)
        assert "cell, pattern, direction, attention, optimizer" in text  # the focus order


async def test_typing_in_predict_says_how_to_get_the_keys_back(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, "hello")
        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(app.focused, Input))
        check_chrome(app)
        assert "esc" in app.query_one(KeyBar).shown_keys


async def test_after_a_divergence_the_advice_and_the_whole_chart_fit_at_80x24(tmp_path) -> None:
    app = RnnApp(preset="exploding", runs_dir=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, "exploding")
        await pilot.press("2")
        spec = app.training.spec
        spec = dataclasses.replace(spec, train=dataclasses.replace(spec.train, clip_norm=None))  # clip none
        points = [ev.StepPoint(s, 1.0 / s, 2.0 * s, False, {}, 0.1) for s in range(1, 11)]
        inject(app, ev.Progress(points=points, tokens_per_s=1.0, steps_per_s=1.0, elapsed_s=1.0))
        settings = tuple(t.setting for t in tips(spec))
        inject(app, ev.Diverged(11, float("nan"), float("inf"), 10, advice(spec, 10), settings))
        await wait_for(pilot, lambda: app.training.notice is not None)
        for chart in ("loss", "grad"):
            app.view("train").replot_all()
            await pilot.pause()
            shown = "\n".join(screen_lines(app)[:-2])
            assert all(setting in shown for setting in settings), shown  # every setting to try
            assert ("goal 0.01" if chart == "loss" else "clip") in shown, shown  # the legend stays
            await pilot.press("right")


async def test_the_goal_notice_keeps_its_last_words_together_at_80x24(tmp_path) -> None:
    app = RnnApp(preset="translate", runs_dir=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, "translate")
        await pilot.press("2")
        inject(app, ev.GoalReached(step=403, metric="exact_match", value=0.999, threshold=0.9))
        await wait_for(pilot, lambda: app.training.notice is not None)
        await pilot.pause()
        rows = screen_lines(app)
        assert any("Try it in Predict (3)." in row for row in rows), rows  # never "(3)." alone
        assert not any(row.strip() == "(3)." for row in rows)


async def test_g_is_offered_only_where_the_gradient_norm_chart_is_on_screen(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, "hello")
        await pilot.press("2")
        await pilot.pause()
        chart = app.query_one(GradNormChart)
        for tab in ("loss", "gradient norm", "‖∂L/∂h_t‖"):
            keys = app.query_one(KeyBar).shown_keys
            assert ("g" in keys) == (tab == "gradient norm"), (tab, keys)
            await pilot.press("g")
            await pilot.pause()
            assert chart.per_layer == (tab != "loss"), tab  # g acts on its tab only (toggled once, there)
            await pilot.press("right")
            await pilot.pause()
        rows = screen_lines(app)
        assert any("gradient norm" in row for row in rows) and not any("grad norm" in row for row in rows)  # as Runs
        await pilot.resize_terminal(120, 40)
        await wait_for(pilot, lambda: "g" in app.query_one(KeyBar).shown_keys)  # all three charts shown
        assert app.training.phase is Phase.READY


def lesson_box(rows: list[str]) -> list[str]:
    """The lesson box's rows, frame included: from its top corner to its bottom corner."""
    top = next(i for i, row in enumerate(rows) if row.startswith("╭"))
    bottom = next(i for i, row in enumerate(rows) if row.startswith("╰"))
    return rows[top : bottom + 1]


@pytest.mark.parametrize("preset", ["hello", "translate", "sentiment"])
async def test_build_shows_the_whole_lesson_box_down_to_the_status_at_80x24(tmp_path, preset) -> None:
    app = RnnApp(preset=preset, runs_dir=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, preset)
        if preset == "hello":  # an error above the diagram: the box gets fewer rows, and keeps its frame
            app.query_one("#lr", Input).value = "0.01x"
            await wait_for(pilot, lambda: app.training.phase is Phase.BLOCKED)
        await pilot.pause()
        rows = screen_lines(app)
        assert rows[-3].startswith("╰") and rows[-3].endswith("╯"), rows  # no blank row, no lost border
        box = [row[2:-2] for row in lesson_box(rows)[1:-1]]
        for above, row in zip(box, box[1:], strict=False):
            if above.startswith("  • ") and row.strip() and not row.startswith("  • "):
                assert row.startswith("    "), (above, row)  # a bullet's text wraps under its text


@pytest.mark.parametrize("preset", ["hello", "translate"])
async def test_build_uses_the_room_at_120x40(tmp_path, preset) -> None:
    app = RnnApp(preset=preset, runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, preset)
        await pilot.pause()
        rows = screen_lines(app)
        assert all(row.strip() for row in rows[1:9]), rows  # the form beside the diagram
        assert "╭─────╮" in "\n".join(rows[1:12])  # the diagram's cells drawn large
        assert rows[-3].startswith("╰") and len(lesson_box(rows)) >= 20  # the lesson box down to the status
