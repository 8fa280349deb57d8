"""Pilot tests of the Runs view: list, overlay, delete with confirmation, open in Predict."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from app_helpers import compare_cells, ready, wait_for
from textual.widgets import ContentSwitcher, DataTable

from helpers import tiny
from rnntui.app.app import RnnApp
from rnntui.core.runs import RunDir
from rnntui.core.trainer import Trainer


def make_runs(base, cells=("rnn_tanh", "lstm")):
    for cell in cells:
        spec = tiny("char_lm", {"seq_len": 12, "corpus": "hello", "case": "upper"}, cell=cell)
        spec = dataclasses.replace(spec, train=dataclasses.replace(spec.train, steps=6, eval_every=3))
        Trainer(spec, run=RunDir.create(base, spec)).run()


async def test_runs_view_lists_overlays_deletes_and_opens(tmp_path):
    make_runs(tmp_path)
    killed = RunDir.create(tmp_path, tiny("char_lm", {"seq_len": 12}))
    killed.set_status("running", pid=999_999_999)  # a process that is gone: killed mid-training
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("4")
        await pilot.pause()
        view = app.query_one("#runs")
        table = app.query_one(DataTable)
        assert app.query_one(ContentSwitcher).current == "runs"
        assert table.row_count == 3
        statuses = {r.status for r in view.runs}
        assert statuses == {"complete", "interrupted"}
        table.move_cursor(row=[r.status for r in view.runs].index("complete"))
        await pilot.press("enter")
        await pilot.pause()
        loss = app.query_one("#runs-loss")
        assert len(loss.series) == 1 and [int(x) for x in loss.series[0][1]] == list(range(1, 7))
        other = next(i for i, r in enumerate(view.runs) if r.status == "complete" and r.path not in view.selected)
        table.move_cursor(row=other)
        await pilot.press("enter")
        await pilot.pause()
        assert len(loss.series) == 2 and len({s[0] for s in loss.series}) == 2
        await pilot.press("o")
        await wait_for(pilot, lambda: app.query_one(ContentSwitcher).current == "predict")
        await wait_for(pilot, lambda: app.training.step == 6)
        opened = Path(app.training.run_dir)
        await pilot.press("escape", "4")
        await pilot.pause()
        table.move_cursor(row=[r.path for r in view.runs].index(killed.path))
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert killed.path.exists()
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert not killed.path.exists() and table.row_count == 2 and opened.exists()


async def test_compare_trains_each_variant_and_overlays_exactly_them(tmp_path):
    make_runs(tmp_path, cells=("gru",))  # an older run that must not join the overlay
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await compare_cells(pilot, steps=8, eval_every=4)
        view = app.query_one("#runs")
        await wait_for(pilot, lambda: app.compare_state is not None and app.compare_state.done, timeout=120)
        assert app.compare_state.error is None and app.query_one(ContentSwitcher).current == "runs"
        compared = [r for r in view.runs if r.path in view.selected]
        assert sorted(r.cell for r in compared) == ["gru", "lstm", "rnn_tanh"]
        assert all(r.steps == 8 and r.status == "complete" for r in compared)
        assert len(view.runs) == 4  # plus the older run, listed but not overlaid
        labels = [s[0] for s in app.query_one("#runs-loss").series]
        assert len(labels) == 3 and {label.split()[1] for label in labels} == {"RNN-tanh", "LSTM", "GRU"}

        # A variant that is not a valid network: a bidirectional next-character model.
        before = app.compare_state
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert app.compare_state is before  # refused: no comparison started
        view.reload()
        assert len(view.runs) == 4


async def test_runs_from_another_format_version_say_so(tmp_path):
    make_runs(tmp_path, cells=("lstm",))
    run = RunDir(next(p for p in tmp_path.iterdir() if p.is_dir()))
    st = run.status()
    run.path.joinpath("run.json").write_text(json.dumps({**st, "format_version": 0}))
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("4")
        await pilot.pause()
        problems = str(app.query_one("#runs-problems").render())
        assert "written by run format 0" in problems and "reads format 1" in problems


async def test_the_delete_confirmation_names_the_run_as_the_table_shows_it(tmp_path):
    from rnntui.app.widgets.runs_view import ConfirmDelete

    make_runs(tmp_path, cells=("gru",))
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("4")
        await pilot.pause()
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDelete))
        shown = str(app.screen.query_one("Label").content)
        assert "GRU" in shown and "6 steps" in shown and "complete" in shown, shown  # the folder name only
        await pilot.press("n")
