"""At 80×24 — the size of most terminals and SSH sessions — every view is complete (issue 13.5):
the key bar lists every key that works, the status line is whole, the charts are on screen, the
Runs columns and the delete question fit; help lists every key of the view (13.8)."""

from __future__ import annotations

import dataclasses

import pytest
from app_helpers import ready, screen_lines, wait_for
from textual.widgets import Input

from helpers import tiny
from rnntui.app.app import RnnApp
from rnntui.app.widgets.key_bar import KeyBar, hints
from rnntui.core.runs import RunDir
from rnntui.core.trainer import Trainer

SIZE = (80, 24)


def make_run(base) -> None:
    spec = tiny("char_lm", {"seq_len": 12, "corpus": "hello", "case": "upper"}, cell="gru", bidirectional=False)
    spec = dataclasses.replace(spec, name="a-long-preset-name", train=dataclasses.replace(spec.train, steps=4))
    Trainer(spec, run=RunDir.create(base, spec)).run()


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


async def test_runs_columns_and_the_delete_question_fit_at_80x24(tmp_path) -> None:
    make_run(tmp_path)
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, "hello")
        await pilot.press("4")
        await pilot.pause()
        header = screen_lines(app)[1]
        for column in ("preset", "cell", "dir", "L×H", "steps", "metric", "goal", "status"):
            assert column in header, header
        assert "a-long-preset-name" in "\n".join(screen_lines(app))
        await pilot.press("d")
        await pilot.pause()
        name = app.query_one("#runs").runs[0].path.name
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
        assert "cell, pattern, direction, optimizer" in text  # the focus order


async def test_typing_in_predict_says_how_to_get_the_keys_back(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, "hello")
        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(app.focused, Input))
        check_chrome(app)
        assert "esc" in app.query_one(KeyBar).shown_keys
