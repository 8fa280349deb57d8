"""A field's editing keys (backspace, ←, home…) take effect in the order they were typed.

Textual types a printable key in the field at once but runs the field's bound keys only when the
key has bubbled up to the App (textual#6605): with the App busy (training, a prediction drawn),
backspace ×5 then `2 4 8` in Predict's prefix `2 4 8` left `2 4 2` — the backspaces ran after the
digits. The keys here are posted without waiting, as a fast typist or a busy App delivers them.
Our fields (plain.py) and the command palette's search field (commands.py) run them in order."""

from __future__ import annotations

import pytest
from textual import events
from textual.app import App, ComposeResult

from rnntui.app.widgets.form import NumberField, PredictInput


class Fields(App[None]):
    def compose(self) -> ComposeResult:
        yield PredictInput(placeholder="prefix", id="prefix")
        yield NumberField(id="number")


def key(name: str) -> events.Key:
    """The event a terminal's key makes: a character for the printable ones."""
    character = " " if name == "space" else name if len(name) == 1 else None
    return events.Key(name, character)


async def typed(field_id: str, start: str, keys: list[str]) -> str:
    app = Fields()
    async with app.run_test() as pilot:
        field = app.query_one(f"#{field_id}", PredictInput | NumberField)
        field.value = start
        field.cursor_position = len(start)
        field.focus()
        await pilot.pause()
        for name in keys:  # all in the App's queue before the first is handled
            app.post_message(key(name))
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        return field.value


@pytest.mark.parametrize("field_id", ["prefix", "number"])
async def test_backspaces_then_digits_replace_the_text(field_id: str):
    assert await typed(field_id, "248", ["backspace"] * 3 + ["1", "6"]) == "16"


async def test_backspaces_then_a_prefix_with_spaces():
    # (as many keys typed as backspaces would hide the bug: deleted last, they leave the old text)
    assert await typed("prefix", "2 4 8", ["backspace"] * 5 + ["1", "space", "6"]) == "1 6"


async def test_arrows_and_home_move_the_cursor_before_the_next_key():
    assert await typed("prefix", "ELL", ["home", "H", "end", "O"]) == "HELLO"
    assert await typed("prefix", "HLLO", ["left", "left", "left", "E"]) == "HELLO"


async def test_the_palettes_search_field_too(tmp_path):
    """ctrl+p while training: a typo fixed with backspace searched for what was typed."""
    from app_helpers import ready, wait_for
    from textual.command import CommandInput, CommandPalette

    from rnntui.app.app import RnnApp

    app = RnnApp(preset="hello", runs_dir=str(tmp_path))
    async with app.run_test() as pilot:
        await ready(pilot, "hello")
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: CommandPalette.is_open(app) and isinstance(app.focused, CommandInput))
        for name in ["d", "o", "x", "backspace", "u"]:
            app.post_message(key(name))
        await pilot.pause()  # (until the App, the palette and its field have handled them all)
        await pilot.pause()
        assert app.focused.value == "dou"
        await pilot.press("escape")


async def test_keys_a_field_gives_up_still_reach_what_is_bound_above_it(tmp_path, monkeypatch):
    """Only editing keys run in the field: ↓ in the palette moves its list (Input's inherited scroll
    gives the key up) and pagedown in Predict's prefix scrolls the heatmap (a hostile review's catch)."""
    from app_helpers import ready, wait_for
    from textual.command import CommandList, CommandPalette

    from rnntui.app.app import RnnApp
    from rnntui.app.widgets.predict_view import PredictView

    app = RnnApp(preset="hello", runs_dir=str(tmp_path))
    async with app.run_test() as pilot:
        await ready(pilot, "hello")
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: CommandPalette.is_open(app))
        results = app.screen.query_one(CommandList)
        await pilot.press(*"load")
        await wait_for(pilot, lambda: results.option_count >= 3 and results.highlighted == 0)
        await pilot.press("down")
        await wait_for(pilot, lambda: results.highlighted == 1)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not CommandPalette.is_open(app))
        await pilot.press("3")
        view = app.query_one(PredictView)
        scrolled: list[int] = []
        monkeypatch.setattr(type(view), "action_scroll_heatmap", lambda _view, pages: scrolled.append(pages))
        await wait_for(pilot, lambda: app.focused is app.query_one("#prefix"))
        await pilot.press("pagedown", "pageup")
        await wait_for(pilot, lambda: scrolled == [1, -1])
