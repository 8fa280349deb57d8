"""The palette is the App's system commands; quitting says the run is being saved."""

from __future__ import annotations

from app_helpers import compare_cells, ready, wait_for
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


async def test_while_a_comparison_trains_the_chrome_says_so_and_offers_no_training_keys(tmp_path) -> None:
    from rnntui.app.widgets.key_bar import hints

    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        await compare_cells(pilot, steps=4000, eval_every=1000)
        await wait_for(pilot, lambda: app.compare_state is not None and app.compare_state.step > 0)
        status = str(app.query_one("#status").content)
        words = {h.label for h in hints(app.screen)}
        assert status.startswith("comparing:"), status  # it said "finished … r resets"
        assert not words & {"train", "step", "reset"}, words  # they were offered, then refused
        await pilot.press("c")  # stops it
        await wait_for(pilot, lambda: app.compare_state.done)
        assert {"train", "step", "reset"} <= {h.label for h in hints(app.screen)}


async def test_under_a_menu_the_key_bar_lists_the_menus_keys(tmp_path) -> None:
    from rnntui.app.widgets.key_bar import KeyBar
    from rnntui.app.widgets.presets_screen import PresetsScreen

    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        bar = app.query_one(KeyBar)
        assert "space" in bar.shown_keys
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PresetsScreen))
        await wait_for(pilot, lambda: "esc" in bar.shown_keys)
        assert "space" not in bar.shown_keys  # the view's keys do nothing under the menu
        await pilot.press("escape")
        await wait_for(pilot, lambda: "space" in bar.shown_keys)


async def test_the_palette_offers_one_help_and_not_textuals_keys_panel(tmp_path) -> None:
    """Textual's "Keys" panel squashed Predict, cut the key bar, and esc, ? and q did not close it;
    `?` lists every key already."""
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("3")
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Keys" not in titles and titles.count("Help") == 1
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"keys")
        await pilot.pause(0.3)  # the palette searches in a worker: let it answer
        await pilot.press("enter")
        await pilot.pause()
        assert not app.screen.query("HelpPanel") and not app.query("HelpPanel")
