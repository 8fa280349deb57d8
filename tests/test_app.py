"""Pilot tests: every view and key of the app."""

from __future__ import annotations

from app_helpers import ready, wait_for
from textual.widgets import ContentSwitcher, Input, Static

from rnntui.app.app import RnnApp
from rnntui.app.messages import TrainerReported
from rnntui.app.widgets.form import Choice
from rnntui.app.widgets.presets_screen import PresetsScreen
from rnntui.core import events as ev


async def test_views_and_first_preset(tmp_path):
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        switcher = app.query_one(ContentSwitcher)
        assert switcher.current == "build"
        assert f"{app.session.params:,}" in str(app.query_one("#params", Static).content)
        assert "HELL" in str(app.query_one("#lesson-text", Static).content)
        for key, view in (("2", "train"), ("3", "predict"), ("escape", "predict"), ("1", "build")):
            await pilot.press(key)
            await pilot.pause()
            assert switcher.current == view


async def test_preset_from_the_menu_and_the_palette(tmp_path):
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, PresetsScreen)
        await pilot.press("down", "enter")
        await ready(pilot, "doubling")
        assert app.query_one("#cell", Choice).value == "gru"
        assert app.query_one("#hidden_size", Input).value == "128"
        app.action_load_preset("sine")
        await ready(pilot, "sine")
        assert app.query_one("#pattern", Choice).value == "many_to_one"


async def test_step_start_pause_reset(tmp_path):
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("2", "s")
        await pilot.pause()
        assert app.session.trainer.step_count == 1
        await pilot.press("space")
        await wait_for(pilot, lambda: app.session.trainer.step_count > 20)
        await pilot.press("space")  # pause
        await wait_for(pilot, lambda: app.status.startswith("paused"))
        await pilot.pause(0.3)
        paused_at = app.session.trainer.step_count
        await pilot.pause(0.3)
        assert app.session.trainer.step_count == paused_at
        await pilot.press("s")  # a step while paused
        await wait_for(pilot, lambda: app.session.trainer.step_count == paused_at + 1)
        loss_chart = app.query_one("#loss-chart")
        await wait_for(pilot, lambda: len(loss_chart.steps) >= paused_at + 1)  # events arrive after the step
        assert loss_chart.steps == list(range(1, paused_at + 2))
        await pilot.press("r")
        await ready(pilot)
        assert app.session.trainer.step_count == 0
        assert app.query_one("#loss-chart").steps == []


async def test_typing_in_predict_updates_the_prediction(tmp_path):
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("3")
        await pilot.pause()
        assert app.query_one("#prefix", Input).value == "HELL"  # the preset's example
        await pilot.press(*["backspace"] * 4)
        seen = []
        for ch in "HELL":
            await pilot.press(ch)
            await pilot.pause()
            seen.append(app.query_one("#predict").prediction)
        assert [len(p.tokens) for p in seen] == [1, 2, 3, 4]
        assert app.query_one("#prefix", Input).value == "HELL"
        assert app.session.trainer.step_count == 0, "typing 's' or digits in the input must not trigger keys"
        assert "next token" in str(app.query_one("#prediction", Static).content)
        heat = app.query_one("#heatmap", Static).content.plain
        assert [row.split()[0] for row in heat.splitlines()[2:]] == list("HELL")  # one row per fed step


async def test_invalid_build_blocks_training(tmp_path):
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        app.query_one("#direction", Choice).value = "bi"
        await wait_for(pilot, lambda: app.blocked is not None)
        error = str(app.query_one("#build-error", Static).content)
        assert "see the token it must predict" in error
        await pilot.press("space")
        await pilot.pause(0.2)
        assert not app.training_active() and app.session.trainer.step_count == 0
        app.query_one("#direction", Choice).value = "uni"
        await wait_for(pilot, lambda: app.blocked is None)
        app.query_one("#num_layers", Input).value = "2"
        await wait_for(pilot, lambda: app.session.spec.model.num_layers == 2 and app.status.startswith("ready"))
        assert "L2" in str(app.query_one("#diagram", Static).content)


async def test_bad_input_never_crashes(tmp_path):
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("3")
        prefix = app.query_one("#prefix", Input)
        prefix.value = "HELLO [bold]markup[/] 🙂\x00\x1b " * 4000  # ~100k characters
        await pilot.pause()
        pred = app.query_one("#predict").prediction
        assert pred.window_start > 0 and "window" in (pred.notice or "")
        prefix.value = "[red]"
        await pilot.pause()
        app.query_one("#hunt", Input).value = "(unclosed"
        view = app.query_one("#predict")
        view.run_hunt()
        await wait_for(pilot, lambda: view.hunt_outcome is not None)
        assert "invalid" in (view.hunt_outcome.error or "")
        app.query_one("#lr", Input).value = "fast"
        await wait_for(pilot, lambda: app.blocked is not None and "lr" in app.blocked)


async def test_divergence_shows_a_message_and_pauses(tmp_path):
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        app.post_message(
            TrainerReported(
                ev.Diverged(
                    step=7, loss=float("nan"), grad_norm=float("inf"), restored_step=6, advice="set gradient clipping"
                )
            )
        )
        app.post_message(
            TrainerReported(
                ev.Finished(
                    step=6, reason="diverged", run_dir=None, initial_loss=3.0, final={}, goal=None, elapsed_s=1.0
                )
            )
        )
        await pilot.pause(0.2)
        notice = str(app.query_one("#notice", Static).content)
        assert "diverged at step 7" in notice and "clipping" in notice
        assert app.status.startswith("paused")


async def test_quit_during_training_leaves_a_consistent_run(tmp_path):
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("space")
        await wait_for(pilot, lambda: app.session.trainer.step_count > 5)
        await pilot.press("q")
        await pilot.pause(0.5)
    runs = list(tmp_path.iterdir())
    assert len(runs) == 1
    from rnntui.core.runs import RunDir

    run = RunDir(runs[0])
    assert run.status()["status"] in ("stopped", "complete")
    cp = run.load()
    records, warnings = run.read_metrics()
    steps = [r["step"] for r in records if r["event"] == "step"]
    assert steps == list(range(1, cp.step + 1)) and not warnings


async def test_training_runs_in_its_own_process(tmp_path, monkeypatch):
    """In a thread, training shared the GIL with the UI: the app trained at ~0.78× the bare loop."""
    import os

    import torch

    monkeypatch.setenv("RNNTUI_TRAIN_THREADS", "2")
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        assert torch.get_num_threads() == 1  # the UI thread (it runs the predictor)
        trainer = app.session.trainer
        assert trainer.pid != os.getpid() and trainer.threads == 2
        await pilot.press("space")
        await wait_for(pilot, lambda: trainer.step_count > 5)
        assert trainer.run_dir.status()["pid"] == trainer.pid  # the child writes the run
        await pilot.press("q")
    assert not trainer.alive


async def test_leaving_without_q_still_stops_training(tmp_path):
    """A crash or a closed terminal skips action_quit; a paused run must not keep the process alive."""
    import time

    app = RnnApp(runs_dir=str(tmp_path))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot, "hello")
            await pilot.press("space")
            await wait_for(pilot, lambda: app.session.trainer.step_count > 3)
            await pilot.press("space")  # paused: the training thread waits for a key
            await wait_for(pilot, lambda: app.status.startswith("paused"))
            app.exit(1)
        deadline = time.monotonic() + 30
        while app.session.running and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not app.session.running
        assert app.session.trainer.run_dir.status()["status"] == "stopped"
    finally:
        app.session.close()  # without the fix, this ends the run so the suite goes on


async def test_a_lost_training_process_is_reported_and_r_starts_a_new_one(tmp_path):
    import os
    import signal

    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("space")
        await wait_for(pilot, lambda: app.session.trainer.step_count > 3)
        lost = app.session.trainer
        os.kill(lost.pid, signal.SIGKILL)  # as the kernel's out-of-memory killer would
        await wait_for(pilot, lambda: app.status.startswith("training process lost"))
        assert not app.training_active()
        await pilot.press("s")  # refused with a message, no hang
        await pilot.press("r")
        await ready(pilot)
        assert app.session.trainer is not lost and app.session.trainer.alive
        await pilot.press("s")
        await pilot.pause()
        assert app.session.trainer.step_count == 1
