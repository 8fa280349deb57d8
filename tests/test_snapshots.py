"""SVG snapshots of every view at 80×24 and 120×40 (deterministic screens: never live training —
the Train view is fed a fixed run's events, Runs lists fixed run folders, Predict opens a run
trained here with a fixed seed). After a deliberate change: --snapshot-update, then look at them."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import pytest
from app_helpers import inject, ready, wait_for
from textual.command import CommandPalette

from rnntui.app.app import RnnApp
from rnntui.app.messages import OpenRun
from rnntui.app.state import Phase
from rnntui.core import events as ev
from rnntui.core.experiment import build_model, build_task
from rnntui.core.presets import resolve
from rnntui.core.runs import FORMAT_VERSION, RunDir
from rnntui.core.tomlwrite import spec_to_toml
from rnntui.core.trainer import Trainer

SIZES = [(80, 24), (120, 40)]
CREATED = 1_767_225_600.0  # 2026-01-01 00:00 UTC


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("RNNTUI_TRAIN_THREADS", "1")  # shown in Train: the same on every machine
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def app_for(tmp_path, preset: str = "hello") -> RnnApp:
    return RnnApp(preset=preset, runs_dir=str(tmp_path))


def fixed_run(base: Path, name: str, cell: str, scale: float) -> Path:
    """A run folder as training leaves it, with fixed numbers and dates."""
    spec = resolve("hello")
    spec = dataclasses.replace(spec, name=name, model=dataclasses.replace(spec.model, cell=cell))
    path = base / f"20260101-000000-{name}-{cell}"
    path.mkdir(parents=True)
    (path / "spec.toml").write_text(spec_to_toml(spec), encoding="utf-8")
    Trainer(spec, run=RunDir(path)).checkpoint()  # a valid checkpoint (the listing checks there is one)
    goal = {
        "metric": "p_probe",
        "threshold": 0.9,
        "direction": "max",
        "baseline": None,
        "value": 0.95 * scale,
        "met": scale > 0.9,
    }
    status = {
        "status": "complete",
        "format_version": FORMAT_VERSION,
        "created": CREATED,
        "updated": CREATED,
        "step": 300,
        "goal": goal,
    }
    (path / "run.json").write_text(json.dumps(status), encoding="utf-8")
    lines = [
        {
            "event": "step",
            "step": s,
            "loss": 3.0 * scale / (1 + s / 30),
            "grad_norm": 2.0 / (1 + s / 50),
            "clipped": False,
            "layer_norms": {},
            "lr": 0.01,
        }
        for s in range(1, 301)
    ]
    (path / "metrics.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return path


def hello_params() -> int:
    spec = resolve("hello")
    return build_model(spec, build_task(spec.task)).param_count()


def training_events(steps: int = 240) -> list[ev.Event]:
    """A fixed run of hello as the trainer reports it."""
    points = [
        ev.StepPoint(
            s,
            3.0 / (1 + s / 40) + 0.05 * ((s * 7) % 5) / 5,
            1.5 / (1 + s / 60),
            s % 9 == 0,
            {"layer 1": 1.2 / (1 + s / 60), "head": 0.6 / (1 + s / 60)},
            0.01,
        )
        for s in range(1, steps + 1)
    ]
    flow0 = {"layer 1": [0.001 * 1.4**t for t in range(24)]}
    flow = {"layer 1": [0.002 * 1.2**t for t in range(24)]}
    return [
        ev.Started(run_dir=None, device="cpu", params=hello_params(), spec_name="hello", description="", step=0),
        ev.GradientFlow(step=0, norms=flow0, probe_s=0.01),
        ev.Progress(points=points, tokens_per_s=254_000.0, steps_per_s=180.0, elapsed_s=1.3),
        ev.Evaluated(step=100, val_loss=1.1, metric_name="accuracy", metric=0.6, metrics={"p_probe": 0.42}),
        ev.Evaluated(
            step=200,
            val_loss=0.62,
            metric_name="accuracy",
            metric=0.8,
            metrics={"p_probe": 0.93},
            samples=["HELLO WORLD GATE STATE TIME HERO LOSS", "HEY RNN HIDDEN LAYER HELLO"],
        ),
        ev.GoalReached(step=200, metric="p_probe", value=0.93, threshold=0.9),
        ev.GradientFlow(step=240, norms=flow, probe_s=0.01),
    ]


@pytest.mark.parametrize("size", SIZES)
def test_build_view(snap_compare, tmp_path, size):
    async def run_before(pilot):
        await ready(pilot, "hello")

    assert snap_compare(app_for(tmp_path), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_build_view_encoder_decoder(snap_compare, tmp_path, size):
    async def run_before(pilot):
        await ready(pilot, "translate")

    assert snap_compare(app_for(tmp_path, "translate"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_train_view_with_a_run_in_progress(snap_compare, tmp_path, size):
    async def run_before(pilot):
        app = pilot.app
        await ready(pilot, "hello")
        await pilot.press("2")
        for e in training_events():
            inject(app, e)
        await wait_for(pilot, lambda: app.training.step == 240 and app.training.metric == 0.93)
        app.view("train").replot_all()
        await pilot.pause()

    assert snap_compare(app_for(tmp_path), terminal_size=size, run_before=run_before)


@pytest.fixture
def trained_hello(tmp_path) -> Path:
    spec = resolve("hello")
    spec = dataclasses.replace(spec, train=dataclasses.replace(spec.train, steps=150, device="cpu"))
    runs = tmp_path / "runs"
    run = RunDir.create(runs, spec)
    Trainer(spec, run=run).run()
    return run.path


@pytest.mark.parametrize("size", SIZES)
def test_predict_with_a_trained_model_and_its_heatmap(snap_compare, trained_hello, size):
    async def run_before(pilot):
        app = pilot.app
        await ready(pilot, "hello")
        app.post_message(OpenRun(trained_hello))
        await wait_for(pilot, lambda: app.training.phase is Phase.READY and app.training.step == 150)
        await ready(pilot, "hello")  # the run opens in Predict, its example typed
        await pilot.press("escape")
        await pilot.pause()

    assert snap_compare(RnnApp(runs_dir=str(trained_hello.parent)), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_predict_with_the_map_of_the_hidden_state(snap_compare, trained_hello, size, monkeypatch):
    import multiprocessing

    from rnntui.app.widgets.state_map import StateMapPlot
    from rnntui.core import predictor_client, predictor_service

    # Every sampled state, however loaded the machine.
    monkeypatch.setattr(predictor_service, "STATE_MAP_BUDGET_S", None)
    # (the predictor's process forked from this one, which has the budget patched; the fork server has
    # not. Only the predictor's: a training process forked while another starts could hold that one's
    # end of its pipe, and its end would never be seen)
    monkeypatch.setattr(predictor_client, "fork_server_context", lambda: multiprocessing.get_context("fork"))

    async def run_before(pilot):
        app = pilot.app
        await ready(pilot, "hello")
        app.post_message(OpenRun(trained_hello))
        await wait_for(pilot, lambda: app.training.phase is Phase.READY and app.training.step == 150)
        await ready(pilot, "hello")
        await pilot.press("escape", "m")
        plot = app.query_one(StateMapPlot)
        await wait_for(pilot, lambda: plot.picture.table is not None and plot.picture.tokens == ("H", "E", "L", "L"))
        await pilot.pause()

    assert snap_compare(RnnApp(runs_dir=str(trained_hello.parent)), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_runs_with_an_overlay(snap_compare, tmp_path, size):
    fixed_run(tmp_path, "hello", "lstm", 1.0)
    fixed_run(tmp_path, "hello", "gru", 0.8)
    fixed_run(tmp_path, "hello", "rnn_tanh", 1.2)

    async def run_before(pilot):
        await ready(pilot, "hello")
        await pilot.press("4")
        view = pilot.app.query_one("#runs")
        await wait_for(pilot, lambda: len(view.runs) == 3 and not view.scanning)  # read in a worker
        await pilot.press("enter", "down", "enter")
        await wait_for(pilot, lambda: len(view.selected) == 2 and not view.scanning)
        for chart in pilot.app.query("OverlayChart"):
            chart.replot()
        await pilot.pause()

    assert snap_compare(app_for(tmp_path), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, tmp_path, size):
    async def run_before(pilot):
        await ready(pilot, "hello")
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(app_for(tmp_path), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_presets_menu(snap_compare, tmp_path, size):
    async def run_before(pilot):
        await ready(pilot, "hello")
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("down")
        await pilot.pause()

    assert snap_compare(app_for(tmp_path), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_palette(snap_compare, tmp_path, size):
    async def run_before(pilot):
        await ready(pilot, "hello")
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CommandPalette))
        await pilot.press(*"load")
        # The palette searches in a worker: wait until every "Load preset" command is listed and
        # the search is done (a fixed pause caught the list mid-draw on a busy machine).
        from textual.command import CommandList

        from rnntui.core.presets import discover

        wanted = len([e for e in discover() if e.spec is not None])
        palette = pilot.app.screen
        gathering = [w for w in pilot.app.workers if w.group == palette._GATHER_COMMANDS_GROUP]
        await wait_for(pilot, lambda: palette.query_one(CommandList).option_count >= wanted)
        await wait_for(pilot, lambda: not any(w.is_running for w in gathering + list(palette.workers)))
        await pilot.pause()

    assert snap_compare(app_for(tmp_path), terminal_size=size, run_before=run_before)
