"""A keystroke in Predict lays the screen out again only where a height changed (issue 15, 4b).

A layout pass repaints the whole screen (~12 ms on the 2-core machine). Static.update asks for
one by default, and Predict updated five Statics at each key: every key cost two full layouts and
renders besides the prefix field's own. Once the heatmap shows its most rows, nothing but the field
(Textual's Input, whose scrollable width follows its text) changes height or width at a key.
"""

from __future__ import annotations

from collections import Counter

from app_helpers import ready, wait_for
from textual.widget import Widget
from textual.widgets import Input

from rnntui.app.app import RnnApp
from rnntui.app.widgets.predict_view import PredictView


async def test_a_key_asks_for_no_layout_but_the_fields_own(tmp_path, monkeypatch) -> None:
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
        asked: Counter[str] = Counter()
        refresh = Widget.refresh

        def counted(self: Widget, *regions, **kwargs) -> Widget:
            if kwargs.get("layout"):
                asked[f"{type(self).__name__}#{self.id}"] += 1
            return refresh(self, *regions, **kwargs)

        monkeypatch.setattr(Widget, "refresh", counted)
        for ch in "HELLO":
            await pilot.press(ch)
            await wait_for(pilot, lambda: view.prediction.prefix == prefix.value and not view.partial)
        await pilot.pause()
        assert set(asked) <= {"PredictInput#prefix"}, dict(asked)
        assert view.prediction.tokens[-1].text == "O"  # and the prediction did follow the keys
