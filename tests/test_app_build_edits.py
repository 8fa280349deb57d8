"""Build edits while a network trains, and keys that cannot act: the run in progress stays in the
user's hands (issue 13's walk: D1, D2, D3, D7).

- An invalid field does not take the run away: it is Build's error, and space, s still act on the run.
- An edit that needs a new network waits for the pause (the user is told); r applies it at once.
- s and space follow one rule once every step is done: both refuse, with the same line.
- Refusals are said in the status line: nothing covers the fields or the numbers being watched.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from app_helpers import ready, screen_lines, wait_for
from textual.widgets import Input, Static

from rnntui.app.app import RnnApp
from rnntui.app.state import Phase, status_line
from rnntui.app.widgets.build_view import BuildView


def hello_with(app: RnnApp, steps: int) -> None:
    """The loaded hello network with `steps` steps (a steps edit needs no new network)."""
    app.query_one("#steps", Input).value = str(steps)


def run_json(app: RnnApp) -> dict:
    assert app.training.run_dir is not None
    return json.loads((Path(app.training.run_dir) / "run.json").read_text())


async def test_an_invalid_field_while_training_leaves_the_run_in_the_users_hands(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        hello_with(app, 300)
        await wait_for(pilot, lambda: app.training.total == 300)
        await pilot.press("space")
        await wait_for(pilot, lambda: app.training.phase is Phase.TRAINING and app.training.step > 0)
        app.query_one("#lr", Input).value = "0.01x2"
        await wait_for(pilot, lambda: app.training.form_error is not None)
        assert app.training.phase is Phase.TRAINING  # the run goes on, and is still the user's
        assert "lr" in str(app.query_one("#build-error", Static).content)
        await pilot.press("space")  # pauses
        await wait_for(pilot, lambda: app.training.phase is Phase.PAUSED and app.training.waiting is None)
        paused_at = app.training.step
        await pilot.press("s")
        await wait_for(pilot, lambda: app.training.waiting is None and app.training.step == paused_at + 1)
        assert app.training.phase is Phase.PAUSED
        await pilot.press("space")  # resumes, to the end
        await wait_for(pilot, lambda: app.training.finished is not None and app.training.waiting is None)
        await wait_for(pilot, lambda: app.training.phase is Phase.BLOCKED)  # now the form's error blocks
        assert app.training.step == 300 and "lr" in str(app.query_one("#build-error", Static).content)
        await pilot.press("s")  # refused: no step past the total, no stale "see the notice"
        assert app.training.waiting is None and app.training.step == 300
        app.query_one("#lr", Input).value = "0.01"  # back to the built network: finished, not blocked
        await wait_for(pilot, lambda: app.training.phase is Phase.FINISHED and app.training.form_error is None)
        assert "see the notice" not in status_line(app.training)
        assert not str(app.query_one("#build-error", Static).content)


async def test_space_in_a_build_field_leaves_the_field_so_digits_switch_views(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        lr = app.query_one("#lr", Input)
        lr.focus()
        await pilot.press("space")
        await wait_for(pilot, lambda: app.training.phase is Phase.TRAINING and app.training.step > 0)
        assert isinstance(app.focused, BuildView)
        process = app.link.current
        await pilot.press("2")
        await wait_for(pilot, lambda: app.current_view == "train")
        assert lr.value == "0.01" and app.training.pending is None and app.link.current == process


async def test_an_edit_while_training_waits_for_the_pause_and_says_so(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("space")
        await wait_for(pilot, lambda: app.training.phase is Phase.TRAINING and app.training.step > 0)
        process, run_dir = app.link.current, app.training.run_dir
        said: list[str] = []  # every notice (hello's goal, met at step 50, can follow the edit's at once)
        notify = app.notify
        app.notify = lambda message, **kw: (said.append(message), notify(message, **kw))[1]
        app.query_one("#lr", Input).value = "0.02"
        await wait_for(pilot, lambda: app.training.pending is not None)
        edited_at = app.training.step
        assert any("pause" in m for m in said)  # said when it happens, not found out later
        assert app.query_one("#build-error", Static).content  # Build shows the edit waiting
        await wait_for(pilot, lambda: app.training.step > edited_at + 10)
        assert app.link.current == process and app.training.phase is Phase.TRAINING  # the run went on
        assert "pause" in status_line(app.training)
        await pilot.press("space")  # the pause applies it: a new network, the run saved
        await wait_for(pilot, lambda: app.training.phase is Phase.READY and app.training.spec.train.lr == 0.02)
        assert app.link.current != process and app.training.step == 0 and app.training.pending is None
        assert app.notice and "saved" in app.notice
        status = json.loads((Path(run_dir) / "run.json").read_text())
        assert status["status"] == "stopped" and status["step"] > edited_at


async def test_r_applies_a_waiting_edit_at_once(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("space")
        await wait_for(pilot, lambda: app.training.phase is Phase.TRAINING and app.training.step > 0)
        app.query_one("#hidden_size", Input).value = "32"
        await wait_for(pilot, lambda: app.training.pending is not None)
        await pilot.press("r")
        await ready(pilot)
        assert app.training.spec.model.hidden_size == 32 and app.training.pending is None


async def test_s_and_space_refuse_alike_once_every_step_is_done(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        hello_with(app, 5)
        await wait_for(pilot, lambda: app.training.total == 5)
        await pilot.press("2", "space")
        await wait_for(pilot, lambda: app.training.phase is Phase.FINISHED and app.training.waiting is None)
        assert app.training.step == 5
        await pilot.press("s")
        said_by_s = app.notice
        assert app.training.step == 5 and app.training.waiting is None
        await pilot.press("space")
        assert app.notice == said_by_s and app.training.step == 5 and app.training.waiting is None
        assert "space trains on" not in status_line(app.training)
        assert "r resets" in status_line(app.training)


async def test_refusals_are_said_in_the_status_line_and_cover_nothing(tmp_path) -> None:
    """At 80×24 a toast hid the field being fixed (Build) and the numbers (Train)."""
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(pilot, "hello")
        app.query_one("#hidden_size", Input).value = "10.01"
        await wait_for(pilot, lambda: app.training.phase is Phase.BLOCKED)
        await pilot.press("escape", "space")  # refused
        await pilot.pause()
        lines = screen_lines(app)
        assert not app._notifications
        for label, value in (("hidden", "10.01"), ("dropout", "0"), ("lr", "0.01"), ("batch", "32")):
            assert any(label in row and value in row for row in lines), (label, lines)
        assert app.notice is not None and app.notice in lines[-2]
        app.query_one("#hidden_size", Input).value = "64"
        await wait_for(pilot, lambda: app.training.phase is Phase.READY)
        hello_with(app, 3)
        await wait_for(pilot, lambda: app.training.total == 3)
        await pilot.press("escape", "2", "space")
        await wait_for(pilot, lambda: app.training.phase is Phase.FINISHED and app.training.waiting is None)
        await pilot.press("space")  # all steps are done: refused
        await pilot.pause()
        lines = screen_lines(app)
        assert not app._notifications
        assert any("step" in row and "3 / 3" in row for row in lines)  # the metrics, uncovered
        assert app.notice is not None and lines[-2].strip().startswith(app.notice[:40])


async def test_an_edit_while_paused_rebuilds_and_says_the_run_is_saved(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("space")
        await wait_for(pilot, lambda: app.training.phase is Phase.TRAINING and app.training.step > 0)
        await pilot.press("space")
        await wait_for(pilot, lambda: app.training.phase is Phase.PAUSED and app.training.waiting is None)
        paused = dataclasses.replace(app.training)
        app.query_one("#lr", Input).value = "0.02"
        await wait_for(pilot, lambda: app.training.phase is Phase.READY and app.training.spec.train.lr == 0.02)
        assert app.notice and "saved" in app.notice and f"{paused.step:,}" in app.notice
