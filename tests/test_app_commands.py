"""The palette is the App's system commands; quitting says the run is being saved."""

from __future__ import annotations

from app_helpers import ready, wait_for
from textual.command import CommandList, CommandPalette

from rnntui.app.app import RnnApp
from rnntui.app.state import Phase, TrainingState, Waiting


async def test_every_palette_command_is_listed_once_and_a_view_command_acts_on_its_view(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert len(titles) == len(set(titles)), "Quit was listed twice (ours and Textual's)"
        assert "Load preset: doubling" in titles and "Theme" in titles
        chart = app.query_one("GradNormChart")
        before = chart.per_layer
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"per-layer")
        hits = app.screen.query_one(CommandList)
        await wait_for(pilot, lambda: hits.option_count == 1)  # the palette searches in a worker
        await pilot.press("enter")
        await wait_for(pilot, lambda: chart.per_layer != before)  # it called a missing app action
        assert app.current_view == "train"


async def test_quitting_while_training_says_the_run_is_being_saved(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    seen: list[TrainingState] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        app.watch(app, "training", lambda state: seen.append(state), init=False)
        await pilot.press("space")
        await wait_for(pilot, lambda: app.training.phase is Phase.TRAINING and app.training.step > 0)
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running or any(s.waiting is Waiting.STOP for s in seen))
    assert any(s.waiting is Waiting.STOP for s in seen)
