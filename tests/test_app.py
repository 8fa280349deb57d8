"""Pilot tests: every view and key of the app."""

from __future__ import annotations

from app_helpers import inject, ready, wait_for
from textual.widgets import ContentSwitcher, Input, Static

from rnntui.app.app import RnnApp
from rnntui.app.messages import TrainerReplied
from rnntui.app.state import Phase
from rnntui.app.widgets.form import Choice
from rnntui.app.widgets.heatmap import Heatmap
from rnntui.app.widgets.presets_screen import PresetsScreen
from rnntui.core import events as ev
from rnntui.core import trainer_protocol as p
from rnntui.core.events import RunEnd


async def test_views_and_first_preset(tmp_path):
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        switcher = app.query_one(ContentSwitcher)
        assert switcher.current == "build"
        assert f"{app.training.params:,}" in str(app.query_one("#params", Static).content)
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
        await wait_for(pilot, lambda: app.training.step == 1 and app.training.waiting is None)
        await pilot.press("space")
        await wait_for(pilot, lambda: app.training.step > 20)
        await pilot.press("space")  # pause: a request; the exact step comes back with the answer
        await wait_for(pilot, lambda: app.training.phase is Phase.PAUSED)
        paused_at = app.training.step
        await pilot.press("s")  # a step while paused: the next step is exactly one more (none ran between)
        await wait_for(pilot, lambda: app.training.waiting is None and app.training.step > paused_at)
        assert app.training.step == paused_at + 1 and app.training.phase is Phase.PAUSED
        loss_chart = app.query_one("#loss-chart")
        await wait_for(pilot, lambda: len(loss_chart.steps) >= paused_at + 1)  # events arrive after the step
        assert loss_chart.steps == list(range(1, paused_at + 2))
        await pilot.press("r")
        await ready(pilot)
        assert app.training.step == 0
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
        assert app.training.step == 0, "typing 's' or digits in the input must not trigger keys"
        assert "next token" in str(app.query_one("#prediction", Static).content)
        heat = app.query_one(Heatmap).plain
        assert [row.split()[0] for row in heat.splitlines()[2:]] == list("HELL")  # one row per fed step


async def test_invalid_build_blocks_training(tmp_path):
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        app.query_one("#direction", Choice).value = "bi"
        await wait_for(pilot, lambda: app.training.phase is Phase.BLOCKED)
        error = str(app.query_one("#build-error", Static).content)
        assert "see the token it must predict" in error
        await pilot.press("space")  # refused at once
        assert app.training.phase is Phase.BLOCKED and app.training.step == 0
        app.query_one("#direction", Choice).value = "uni"
        await wait_for(pilot, lambda: app.training.phase is not Phase.BLOCKED)
        app.query_one("#num_layers", Input).value = "2"
        await wait_for(pilot, lambda: app.training.spec.model.num_layers == 2 and app.training.phase is Phase.READY)
        assert "L2" in str(app.query_one("#diagram", Static).content)


async def test_bad_input_never_crashes(tmp_path):
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("3")
        prefix = app.query_one("#prefix", Input)
        prefix.value = "HELLO [bold]markup[/] 🙂\x00\x1b " * 4000  # ~100k characters
        view = app.query_one("#predict")
        await wait_for(pilot, lambda: view.prediction is not None and view.prediction.prefix == prefix.value)
        pred = view.prediction
        assert pred.window_start > 0 and "window" in (pred.notice or "")
        prefix.value = "[red]"
        await pilot.pause()
        app.query_one("#hunt", Input).value = "(unclosed"
        view.run_hunt()
        await wait_for(pilot, lambda: view.hunt_outcome is not None)
        assert "invalid" in (view.hunt_outcome.error or "")
        app.query_one("#lr", Input).value = "fast"
        await wait_for(pilot, lambda: app.training.phase is Phase.BLOCKED and "lr" in app.training.form_error)


async def test_divergence_shows_a_message_and_pauses(tmp_path):
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        advice = "set gradient clipping"
        inject(app, ev.Diverged(step=7, loss=float("nan"), grad_norm=float("inf"), restored_step=6, advice=advice))
        done = ev.Finished(6, RunEnd.DIVERGED, run_dir=None, initial_loss=3.0, final={}, goal=None, elapsed_s=1.0)
        inject(app, done)
        app.post_message(TrainerReplied(app.link.current, p.Idle(6)))
        await wait_for(pilot, lambda: app.training.phase is Phase.FINISHED)
        notice = str(app.query_one("#notice", Static).content)
        assert "diverged at step 7" in notice and "clipping" in notice
        assert app.training.finished is RunEnd.DIVERGED and app.training.step == 6


async def test_quit_during_training_leaves_a_consistent_run(tmp_path):
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("space")
        await wait_for(pilot, lambda: app.training.step > 5)
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

    monkeypatch.setenv("RNNTUI_TRAIN_THREADS", "2")
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        client = app.link.client
        assert client.pid != os.getpid() and app.training.threads == 2
        await pilot.press("space")
        await wait_for(pilot, lambda: app.training.step > 5 and app.training.run_dir is not None)
        from rnntui.core.runs import RunDir

        assert RunDir(app.training.run_dir).status()["pid"] == client.pid  # the child writes the run
        pid = client.pid
        await pilot.press("q")
    assert app.wait_saved(30)  # as `rnntui` does once the terminal is given back (main.py)
    assert not os.path.exists(f"/proc/{pid}")  # the training process ended with the app


async def test_leaving_without_q_still_stops_training(tmp_path):
    """A crash or a closed terminal skips action_quit; a paused run must not keep the process alive."""
    import time

    app = RnnApp(runs_dir=str(tmp_path))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot, "hello")
            await pilot.press("space")
            await wait_for(pilot, lambda: app.training.step > 3)
            await pilot.press("space")  # paused: the training thread waits for a key
            await wait_for(pilot, lambda: app.training.phase is Phase.PAUSED)
            run_dir = app.training.run_dir
            app.exit(1)
        from rnntui.core.runs import RunDir

        deadline = time.monotonic() + 30
        while RunDir(run_dir).status().get("status") == "running" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert RunDir(run_dir).status()["status"] == "stopped"
    finally:
        app.link.close()  # without the fix, this ends the run so the suite goes on


async def test_a_lost_training_process_is_reported_and_r_starts_a_new_one(tmp_path):
    import os
    import signal

    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("space")
        await wait_for(pilot, lambda: app.training.step > 3)
        lost = app.link.client
        os.kill(lost.pid, signal.SIGKILL)  # as the kernel's out-of-memory killer would
        await wait_for(pilot, lambda: app.training.phase is Phase.LOST)
        await pilot.press("s")  # refused with a message, no hang
        await pilot.press("r")
        await ready(pilot)
        assert app.link.client is not lost and app.link.running
        await pilot.press("s")
        await wait_for(pilot, lambda: app.training.step == 1)


async def test_leaving_without_q_does_not_wait_for_the_save_and_the_run_is_still_saved(tmp_path):
    """A crash or an exit that skips action_quit waited on the event loop for the training process
    (up to 15 s, the screen frozen). The process saves its run by itself once asked to close."""
    import os
    import signal
    import time

    from rnntui.core.runs import RunDir

    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("space")
        await wait_for(pilot, lambda: app.training.step > 3 and app.training.run_dir is not None)
        run_dir, pid = app.training.run_dir, app.link.client.pid
        os.kill(pid, signal.SIGSTOP)  # a save that takes long: the process cannot answer for now
        try:
            app.exit(1)
            left = time.monotonic()
            await pilot.pause()
        except BaseException:
            os.kill(pid, signal.SIGCONT)
            raise
    took = time.monotonic() - left
    os.kill(pid, signal.SIGCONT)
    assert took < 5, f"leaving waited {took:.1f} s for the training process"
    deadline = time.monotonic() + 30
    while RunDir(run_dir).status().get("status") == "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert RunDir(run_dir).status()["status"] == "stopped"
    records, warnings = RunDir(run_dir).read_metrics()
    assert not warnings and records
