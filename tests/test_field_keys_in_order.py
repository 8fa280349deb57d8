"""A field's editing keys (backspace, ←, home…) take effect in the order they were typed.

Textual types a printable key in the field at once but runs the field's bound keys only when the
key has bubbled up to the App (textual#6605): with the App busy (training, a prediction drawn),
backspace ×5 then `2 4 8` in Predict's prefix `2 4 8` left `2 4 2` — the backspaces ran after the
digits. The keys here are posted without waiting, as a fast typist or a busy App delivers them."""

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
