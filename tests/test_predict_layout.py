"""A keystroke in Predict lays the screen out again only where a height changed (issue 15, 4b).

A layout pass repaints the whole screen (~12 ms on the 2-core machine). Static.update asks for
one by default, and Predict updated five Statics at each key; the prefix field asked for one more
(Textual's Input: its text's width is its virtual width). Once the heatmap shows its most rows,
nothing on screen changes its box at a key, and no layout is asked for.
"""

from __future__ import annotations

import math
from collections import Counter

from app_helpers import ready, wait_for
from rich.text import Text
from textual.events import MouseScrollUp
from textual.widget import Widget
from textual.widgets import Input

from rnntui.app.app import RnnApp
from rnntui.app.widgets.heatmap import Heatmap
from rnntui.app.widgets.predict_view import PredictView


def layouts_asked(monkeypatch) -> Counter[str]:
    """From now on, every layout pass a widget asks for, counted by widget."""
    asked: Counter[str] = Counter()
    refresh = Widget.refresh

    def counted(self: Widget, *regions, **kwargs) -> Widget:
        if kwargs.get("layout"):
            asked[f"{type(self).__name__}#{self.id}"] += 1
        return refresh(self, *regions, **kwargs)

    monkeypatch.setattr(Widget, "refresh", counted)
    return asked


async def test_a_key_asks_for_no_layout(tmp_path, monkeypatch) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("3")
        view, prefix = app.query_one(PredictView), app.query_one("#prefix", Input)
        prefix.value = "HELLO WORLD " * 6  # more steps than the heatmap's rows: its height holds
        prefix.cursor_position = len(prefix.value)
        await wait_for(pilot, lambda: view.prediction is not None and view.prediction.prefix == prefix.value)
        await wait_for(pilot, lambda: not view.partial)
        await pilot.pause()
        asked = layouts_asked(monkeypatch)
        for ch in "HELLO":
            await pilot.press(ch)
            await wait_for(pilot, lambda: view.prediction.prefix == prefix.value and not view.partial)
        await pilot.pause()
        assert not asked, dict(asked)
        assert view.prediction.tokens[-1] == "O"  # and the prediction did follow the keys


async def test_the_prefix_field_still_scrolls_to_its_cursor(tmp_path) -> None:
    """The field's virtual width no longer lays the screen out; it still scrolls by it."""
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("3")
        prefix = app.query_one("#prefix", Input)
        await wait_for(pilot, lambda: app.focused is prefix)
        typed = "ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 3
        await pilot.press(*typed)
        await pilot.pause()
        assert prefix.value.endswith(typed) and len(prefix.value) > prefix.size.width
        assert prefix.scroll_offset.x == prefix.max_scroll_x > 0  # the end of the text, where the cursor is
        assert typed[-20:] in "".join(seg.text for seg in prefix.render_line(0))
        await pilot.press("home")
        await pilot.pause()
        assert prefix.scroll_offset.x == 0


async def test_typing_a_short_prefix_asks_for_no_layout_either(tmp_path, monkeypatch) -> None:
    """The heatmap gains a row at every key until it shows its most: it fills its box and scrolls its
    rows itself, so its height (and its width, which followed its title) never asks for a layout."""
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("3")
        view, prefix = app.query_one(PredictView), app.query_one("#prefix", Input)
        prefix.value, prefix.cursor_position = "H", 1
        await wait_for(
            pilot, lambda: view.prediction is not None and view.prediction.prefix == "H" and not view.partial
        )
        await pilot.pause()
        asked = layouts_asked(monkeypatch)
        for ch in "ELLO W":
            await pilot.press(ch if ch != " " else "space")
            await wait_for(pilot, lambda: view.prediction.prefix == prefix.value and not view.partial)
        await pilot.pause()
        assert not asked, dict(asked)
        assert app.query_one(Heatmap).total_rows == 7  # a row a step: the heatmap did grow


async def test_the_heatmap_scrolls_its_rows_under_its_head(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("3")
        view, prefix = app.query_one(PredictView), app.query_one("#prefix", Input)
        prefix.value = "HELLO WORLD " * 6
        prefix.cursor_position = len(prefix.value)
        await wait_for(pilot, lambda: view.prediction is not None and view.prediction.prefix == prefix.value)
        heatmap = app.query_one(Heatmap)
        await wait_for(pilot, lambda: heatmap.total_rows == 48)
        await pilot.pause()
        head = [heatmap.render_line(y).text for y in range(2)]
        first_row = heatmap.render_line(2).text
        assert heatmap.top == 0 and heatmap.visible_rows < 48
        assert f"rows 1–{heatmap.visible_rows} of 48" in head[0]  # where the rows are, on the title line
        view.action_scroll_heatmap(1)  # pagedown
        await pilot.pause()
        assert heatmap.top == heatmap.visible_rows - 1 and heatmap.render_line(2).text != first_row
        assert heatmap.render_line(1).text == head[1]  # the ruler stays
        view.action_scroll_heatmap(10)  # no further than the last row
        await pilot.pause()
        assert heatmap.top == 48 - heatmap.visible_rows
        assert heatmap.render_line(heatmap.size.height - 1).text.split()[0] == "␣"  # the last step: a space
        heatmap.post_message(MouseScrollUp(heatmap, 0, 2, 0, 0, 0, False, False, False))
        await wait_for(pilot, lambda: heatmap.top == 48 - heatmap.visible_rows - Heatmap.WHEEL_ROWS)
        heatmap.show_text(Text("\n".join(f"attention line {i}" for i in range(40))))  # another table
        assert heatmap.top == 0 and heatmap.render_line(0).text.startswith("attention line 0")


def test_the_heatmaps_scale_is_the_largest_finite_magnitude() -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    from rnntui.app.widgets.heat_layout import largest

    floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -0.0, 1.5, -2.5]))

    @given(st.lists(floats, max_size=12))
    def check(values: list[float]) -> None:
        finite = [abs(v) for v in values if math.isfinite(v)]
        assert largest(values) == (max(finite) if finite else None)

    check()
