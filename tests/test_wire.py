"""Bytes on the wire (issue 15): a report redraws what changed, nothing else.

Textual re-sends every cell of a region marked dirty, changed or not: a whole-screen refresh is a
full frame (~14 KB at 120×40), a chart's refresh all its cells. These tests count refresh and
render calls over a sequence of reports; the bytes themselves are measured by benchmarks/wire.py.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable

from app_helpers import ready

from rnntui.app.app import RnnApp

VIEWS = (("1", "build"), ("2", "train"), ("3", "predict"), ("4", "runs"))


def counting(calls: Counter[str], name: str, method: Callable[..., object]) -> Callable[..., object]:
    def wrapper(*args: object, **kwargs: object) -> object:
        if not args:  # a whole-widget refresh (regions would say which part)
            calls[name] += 1
        return method(*args, **kwargs)

    return wrapper


async def test_a_report_repaints_neither_the_screen_nor_a_whole_view(tmp_path):
    """The state the views watch changes at every report (2.5 a second): declared as a plain
    reactive on the App it refreshed the App, which repaints the whole screen; on a view, the whole
    view. Each was a full frame per report, whatever changed (measured: 120 KB/s on Build)."""
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        for key, view_id in VIEWS:
            await pilot.press(*(["escape", key] if view_id != "predict" else [key]))
            await pilot.pause()
            view = app.query_one(f"#{view_id}")
            calls: Counter[str] = Counter()
            app.screen.refresh = counting(calls, "screen", app.screen.refresh)  # type: ignore[method-assign]
            view.refresh = counting(calls, view_id, view.refresh)  # type: ignore[method-assign]
            for i in range(1, 6):
                app.training = dataclasses.replace(app.training, step=app.training.step + i, elapsed=float(i))
                await pilot.pause()
            del app.screen.refresh, view.refresh
            assert calls == Counter(), f"whole-area repaints on {view_id}: {dict(calls)}"


async def test_the_same_numbers_are_not_sent_again(tmp_path):
    """A state change that leaves the top bar, the status line and the run's numbers as they were
    (a weight copy for the predictor, an evaluation between two reports) repaints none of them."""
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("2")
        await pilot.pause()
        calls: Counter[str] = Counter()
        shown = [app.query_one(f"#{name}") for name in ("topbar", "status", "metrics")]
        for widget in shown:
            widget.refresh = counting(calls, str(widget.id), widget.refresh)  # type: ignore[method-assign]
        for _ in range(5):
            app.training = dataclasses.replace(app.training)  # equal, not the same object: watchers run
            await pilot.pause()
        for widget in shown:
            del widget.refresh
        assert calls == Counter()
