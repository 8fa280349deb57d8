"""What the second newcomer walk found at 80×24 (WALK.md): each a Pilot test, waiting on state."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
from pathlib import Path

from app_helpers import ready, screen_lines, wait_for
from textual.widgets import DataTable, Input, Static

from helpers import tiny
from rnntui.app.app import RnnApp
from rnntui.app.state import Phase
from rnntui.app.widgets.key_bar import KeyBar
from rnntui.app.widgets.predict_view import PredictView
from rnntui.app.widgets.runs_view import ConfirmDelete, OverlayChart, RunsView
from rnntui.core.runs import RunDir
from rnntui.core.trainer import Trainer

SIZE = (80, 24)


async def test_samples_take_one_line_each_so_the_legend_stays_on_screen(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, "hello")
        await pilot.press("2")
        await pilot.pause()
        long = " ".join(["HIDDEN TOKEN GATE LAYER"] * 6)
        app.training = dataclasses.replace(app.training, samples=(long, long), samples_at=600)
        samples = app.query_one("#samples")
        await wait_for(pilot, lambda: samples.display and samples.region.height > 0)
        assert samples.region.height == 2
        legend = app.query_one("#chart-loss .legend")
        assert legend.region.bottom <= SIZE[1] - 2  # above the status line and the keys


async def test_a_chart_shown_by_its_tab_lays_its_legend_out_on_one_line(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, "hello")
        await pilot.press("2", "space")
        await wait_for(pilot, lambda: app.training.phase is Phase.FINISHED)
        await pilot.press("right")  # the loss chart is hidden now, and redrawn there
        await pilot.pause()
        await pilot.press("left")
        await pilot.pause()
        await pilot.pause()
        legend = app.query_one("#chart-loss .legend")
        assert "baseline" in str(legend.content) and "val" in str(legend.content)
        assert legend.region.height == 1


async def test_help_scrolls_with_the_keys_and_long_rows_wrap_under_their_text(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, "hello")
        await pilot.press("4")
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        dialog = app.screen.query_one("#help-dialog")
        assert dialog.max_scroll_y > 0  # at 80×24 the lesson is below the fold
        await pilot.press("pagedown", "pagedown", "pagedown")
        await wait_for(pilot, lambda: dialog.scroll_y == dialog.max_scroll_y)
        lines = screen_lines(app)
        assert any("esc closes" in row for row in lines)
        await pilot.press("home")
        await wait_for(pilot, lambda: dialog.scroll_y == 0)
        lines = screen_lines(app)
        first = next(i for i, row in enumerate(lines) if "switch the overlay chart" in row)
        column = lines[first].index("switch")
        assert lines[first + 1][:column].strip("█ ") == ""  # the sentence goes on under itself


async def test_predict_doubling_at_80x24_keeps_the_heatmap_on_screen(tmp_path) -> None:
    """An untrained network's continuation went on for 11 lines; the heatmap's note was cut."""
    app = RnnApp("doubling", runs_dir=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, "doubling")
        await pilot.press("3")
        view = app.query_one(PredictView)
        await wait_for(pilot, lambda: view.prediction is not None and view.prediction.output.continuation != "")
        await pilot.pause()
        assert app.query_one("#continuation").region.height <= 4
        heat = app.query_one("#heatmap")
        assert heat.region.height >= 4 and heat.region.y + 4 <= SIZE[1] - 2  # ruler and two rows of units
        assert any("a wider terminal shows more" in row for row in screen_lines(app))


async def test_predict_without_a_focused_field_backspace_and_a_taller_terminal(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, "hello")
        await pilot.press("3")
        view, prefix = app.query_one(PredictView), app.query_one("#prefix", Input)
        await wait_for(pilot, lambda: view.prediction is not None and len(view.prediction.output.top) == 5)
        await pilot.press("escape")
        await pilot.pause()
        assert "esc" not in str(app.query_one("#predict-hint", Static).content)  # no field to leave
        await pilot.press("backspace")
        await wait_for(pilot, lambda: prefix.value == "HEL" and app.focused is prefix)
        await pilot.resize_terminal(120, 40)
        await wait_for(pilot, lambda: view.prediction.prefix == "HEL" and len(view.prediction.output.top) == 10)


def two_runs_of_one_network(base: Path) -> list[Path]:
    spec = tiny("char_lm", {"seq_len": 12, "corpus": "hello", "case": "upper"}, cell="gru", bidirectional=False)
    spec = dataclasses.replace(spec, name="same", train=dataclasses.replace(spec.train, steps=3))
    paths = []
    for _ in range(2):
        run = RunDir.create(base, spec)
        Trainer(spec, run=run).run()
        paths.append(run.path)
        time.sleep(1.1)  # a second apart: the start time tells them apart
    return paths


async def test_runs_legend_tells_runs_apart_the_cursor_keeps_its_run_a_running_run_stays(tmp_path) -> None:
    first, second = two_runs_of_one_network(tmp_path)
    status = json.loads((first / "run.json").read_text())
    (first / "run.json").write_text(json.dumps({**status, "status": "running", "pid": os.getpid()}))
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, "hello")
        await pilot.press("4")
        view = app.query_one(RunsView)
        await wait_for(pilot, lambda: len(view.runs) == 2)
        table = app.query_one("#runs-table", DataTable)
        await pilot.press("enter", "down", "enter")
        await wait_for(pilot, lambda: len(app.query_one("#runs-loss", OverlayChart).series) == 2)
        labels = [label for label, _, _ in app.query_one("#runs-loss", OverlayChart).series]
        assert len(set(labels)) == 2 and all("GRU" in label and "×" in label for label in labels)
        on = view.current().path
        newer = tmp_path / "20990101-000000-newer"  # a new run, listed above the cursor
        shutil.copytree(second, newer)
        status = json.loads((newer / "run.json").read_text())
        (newer / "run.json").write_text(json.dumps({**status, "created": status["created"] + 60}))
        await pilot.press("f5")
        await wait_for(pilot, lambda: len(view.runs) == 3)
        assert view.current().path == on
        table.move_cursor(row=[r.path for r in view.runs].index(first))
        await pilot.pause()
        await pilot.press("d")  # the running run: not offered for deletion
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmDelete) and first.is_dir()


async def test_the_key_bar_keeps_space_while_a_build_field_has_focus(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, "hello")
        for field in ("#cell", "#hidden_size"):
            widget = app.query_one(field)
            widget.focus()
            await wait_for(pilot, lambda w=widget: app.focused is w)
            await pilot.pause()
            assert "space" in app.query_one(KeyBar).shown_keys and "space" in screen_lines(app)[-1]
