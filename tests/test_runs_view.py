"""Pilot tests of the Runs view: list, overlay, delete with confirmation, open in Predict."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from app_helpers import compare_cells, ready, screen_lines, wait_for
from textual.widgets import ContentSwitcher, DataTable

from helpers import tiny
from rnntui.app.app import RnnApp
from rnntui.app.state import Phase
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
        view = app.query_one("#runs")
        table = app.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count == 3 and not view.scanning)  # read in a worker
        assert app.query_one(ContentSwitcher).current == "runs"
        statuses = {r.status for r in view.runs}
        assert statuses == {"complete", "interrupted"}
        table.move_cursor(row=[r.status for r in view.runs].index("complete"))
        await pilot.press("enter")
        loss = app.query_one("#runs-loss")
        await wait_for(pilot, lambda: len(loss.series) == 1)
        assert [int(x) for x in loss.series[0][1]] == list(range(1, 7))
        other = next(i for i, r in enumerate(view.runs) if r.status == "complete" and r.path not in view.selected)
        table.move_cursor(row=other)
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(loss.series) == 2)
        assert len({s[0] for s in loss.series}) == 2
        await pilot.press("o")
        await wait_for(pilot, lambda: app.query_one(ContentSwitcher).current == "predict")
        await wait_for(pilot, lambda: app.training.step == 6)
        opened = Path(app.training.run_dir)
        await pilot.press("escape", "4")
        await wait_for(pilot, lambda: not view.scanning)
        table.move_cursor(row=[r.path for r in view.runs].index(killed.path))
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert killed.path.exists()
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await wait_for(pilot, lambda: table.row_count == 2)  # deleted in a worker, then listed again
        assert not killed.path.exists() and opened.exists()


async def test_compare_trains_each_variant_and_overlays_exactly_them(tmp_path):
    make_runs(tmp_path, cells=("gru",))  # an older run that must not join the overlay
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await compare_cells(pilot, steps=8, eval_every=4)
        view = app.query_one("#runs")
        await wait_for(pilot, lambda: app.compare_state is not None and app.compare_state.done, timeout=120)
        await wait_for(pilot, lambda: not view.scanning)  # the folder, read again in a worker
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
        await wait_for(pilot, lambda: not view.scanning)
        assert len(view.runs) == 4

        # Its "comparison done" line stays only until something else is loaded (it took a row at 80×24).
        assert app.query_one("#runs-compare").display
        app.action_load_preset("doubling")
        await ready(pilot, "doubling")
        await pilot.press("4")
        await pilot.pause()
        assert not app.query_one("#runs-compare").display
        assert not any("comparison done" in row for row in screen_lines(app))


async def test_runs_from_another_format_version_say_so(tmp_path):
    make_runs(tmp_path, cells=("lstm",))
    run = RunDir(next(p for p in tmp_path.iterdir() if p.is_dir()))
    st = run.status()
    run.path.joinpath("run.json").write_text(json.dumps({**st, "format_version": 0}))
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("4")
        await wait_for(pilot, lambda: app.query_one("#runs-problems").display)
        problems = str(app.query_one("#runs-problems").render())
        assert "written by run format 0" in problems and "reads format 1" in problems


async def test_the_delete_confirmation_names_the_run_as_the_table_shows_it(tmp_path):
    from rnntui.app.widgets.runs_view import ConfirmDelete

    make_runs(tmp_path, cells=("gru",))
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("4")
        await wait_for(pilot, lambda: bool(app.query_one("#runs").runs))
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDelete))
        shown = str(app.screen.query_one("Label").content)
        assert "GRU" in shown and "6 steps" in shown and "complete" in shown, shown  # the folder name only
        await pilot.press("n")


async def test_runs_shows_the_apps_own_run_live(tmp_path):
    """Its run.json says "running" at step 0 until the run ends: the row shows the training state."""
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("space")
        await wait_for(pilot, lambda: app.training.run_dir is not None and app.training.step > 0)
        await pilot.press("4")
        table, key = app.query_one(DataTable), app.training.run_dir

        def shown(column: str) -> str:
            labels = [str(c.label) for c in table.ordered_columns]
            return str(table.get_row(key)[labels.index(column)]) if key in table.rows else ""

        await wait_for(pilot, lambda: shown("status") in ("training", "paused"))
        await pilot.press("space")
        await wait_for(pilot, lambda: app.training.phase is Phase.PAUSED)
        await wait_for(pilot, lambda: shown("status") == "paused" and shown("steps") == str(app.training.step))
        row = next(r for r in screen_lines(app) if " paused" in r)
        assert f" {app.training.step} " in row and "running" not in row, row
        await pilot.press("space")  # on again: training, then (600 steps, or the goal) its final files
        await wait_for(pilot, lambda: shown("status") == "training" or app.training.phase is Phase.FINISHED)
        await wait_for(pilot, lambda: app.training.phase is Phase.FINISHED, timeout=120)
        await wait_for(pilot, lambda: shown("status") == "complete" and shown("steps") == str(app.training.step))


async def test_the_folder_is_read_and_a_run_deleted_off_the_event_loop(tmp_path, monkeypatch):
    import shutil
    import threading

    import rnntui.core.run_list as run_list

    make_runs(tmp_path, cells=("gru", "lstm"))
    listing, removing = [], []
    release = threading.Event()
    real_list, real_rmtree = run_list.list_runs, shutil.rmtree

    def slow_list(base):
        listing.append(threading.current_thread())
        release.wait(10)  # a slow disk: the table stays usable meanwhile
        return real_list(base)

    def rmtree(path, *args, **kwargs):
        removing.append(threading.current_thread())
        return real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(run_list, "list_runs", slow_list)
    monkeypatch.setattr(shutil, "rmtree", rmtree)
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("4")
        table = app.query_one(DataTable)
        await wait_for(pilot, lambda: bool(listing))
        release.set()
        await wait_for(pilot, lambda: table.row_count == 2)
        release.clear()
        await pilot.press("f5")  # read again, slowly: the cursor still moves
        await pilot.press("down")
        await wait_for(pilot, lambda: table.cursor_row == 1)
        release.set()
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await wait_for(pilot, lambda: table.row_count == 1)
        assert listing and removing and threading.main_thread() not in listing + removing


def test_the_table_is_shortened_only_as_much_as_the_width_needs():
    from rnntui.app.widgets.runs_table import Fit, cells, fit_table, table_width
    from rnntui.core.run_list import RunSummary

    def run(name: str, metric: str, status: str) -> RunSummary:
        return RunSummary(Path(name), name, "rnn_tanh", True, 3, 128, 12_000, metric, -0.1234, False, 0.0, status)

    runs = [run("spell-number", "nats_below_unigram", "interrupted"), run("hello", "p_probe", "complete")]
    assert fit_table(runs, set(), None, 118) == Fit()  # room: every name in full
    fit = fit_table(runs, set(), None, 78)
    assert fit.short_metric and fit.name_width == 0 and fit.metric_width == 0  # whole, abbreviated
    assert table_width([cells(r, False, fit) for r in runs], fit) <= 78
    assert cells(runs[0], False, fit)["metric"].startswith("nats<uni -0.123")
    long = [run("a-preset-name-of-forty-characters-or-so!", "nats_below_unigram", "interrupted")]
    fit = fit_table(long, set(), None, 78)
    assert table_width([cells(r, False, fit) for r in long], fit) <= 78  # a name cut ("…") rather than a row


async def test_a_listing_that_fails_in_its_worker_is_said(tmp_path, monkeypatch):
    import rnntui.core.run_list as run_list

    def broken(base):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(run_list, "list_runs", broken)
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("4")
        view = app.query_one("#runs")
        await wait_for(pilot, lambda: not view.scanning)
        assert "disk on fire" in str(app.query_one("#runs-problems").render())  # said, and the app lives
