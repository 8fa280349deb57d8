"""The app with hostile run folders: key 4 with a broken run.json (finding 7), a run in use (finding 12)."""

from __future__ import annotations

import os

from app_helpers import ready, wait_for
from textual.widgets import ContentSwitcher, DataTable

from hostile_util import trained
from rnntui.app.app import RnnApp
from rnntui.app.state import Phase


def notices(app: RnnApp) -> list[str]:
    """What the status line says now besides the state (every notice is said there, none in a toast)."""
    return [app.notice] if app.notice else []


async def test_key_4_with_a_broken_run_json_lists_it_as_unreadable_and_the_app_lives(tmp_path) -> None:
    good = trained(tmp_path)
    broken = trained(tmp_path)
    (broken.path / "run.json").write_text('{"status": "complete", "created": 1e300, "goal": {"value": "high"}}')
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("4")
        await pilot.pause()
        assert app.is_running and app.query_one(ContentSwitcher).current == "runs"
        assert [r.path for r in app.query_one("#runs").runs] == [good.path]
        assert app.query_one(DataTable).row_count == 1
        problems = str(app.query_one("#runs-problems").render())
        assert f"{broken.path.name}: unreadable:" in problems
        await pilot.press("1", "4")  # and again: still alive
        await pilot.pause()
        assert app.is_running


async def test_opening_a_run_that_another_process_trains_says_who_has_it(tmp_path) -> None:
    from rnntui.core.run_lock import RunLock

    run = trained(tmp_path)
    lock = RunLock.acquire(run.path)  # this test process plays the other writer
    try:
        app = RnnApp(runs_dir=str(tmp_path))
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot, "hello")
            await pilot.press("4")
            await pilot.pause()
            await pilot.press("o")
            await wait_for(pilot, lambda: any("in use by" in n for n in notices(app)))
            assert any(f"in use by pid {os.getpid()}" in n for n in notices(app))
            await ready(pilot, "hello")  # the network before it comes back (its process starts again)
            assert app.is_running and app.training.phase is Phase.READY
    finally:
        lock.release()


async def test_a_runs_folder_that_cannot_be_written_is_a_notice_and_the_app_lives() -> None:
    app = RnnApp(runs_dir="/dev/null/runs")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("space")
        await wait_for(pilot, lambda: any("cannot create a run directory" in n for n in notices(app)))
        await wait_for(pilot, lambda: app.training.phase is Phase.READY and app.training.error is not None)
        assert app.is_running and "cannot create a run directory" in app.training.error
