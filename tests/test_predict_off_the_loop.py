"""Predict draws without torch on the event loop (issue 14): the predictor (its own process since
issue 15; tests/test_app_without_torch.py checks the app never imports torch) hands over plain
numbers (core/trace_table.py); heatmaps, unit colouring and the output are drawn from them."""

from __future__ import annotations

from app_helpers import ready, wait_for
from textual.widgets import Input
from torch.overrides import TorchFunctionMode

from rnntui.app.app import RnnApp
from rnntui.app.widgets.form import Choice
from rnntui.app.widgets.heatmap import Heatmap
from rnntui.app.widgets.predict_view import PredictView


class TorchCalls(TorchFunctionMode):
    """Counts torch functions called on the thread that entered it (modes are per thread)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.names.append(getattr(func, "__name__", str(func)))
        return func(*args, **(kwargs or {}))


async def test_typing_and_drawing_the_heatmap_run_no_torch_on_the_event_loop(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("3")
        view = app.query_one(PredictView)
        await wait_for(pilot, lambda: view.prediction is not None and view.prediction.prefix == "HELL")
        with TorchCalls() as calls:
            await pilot.press("O", "space", "W")
            await wait_for(pilot, lambda: view.prediction.prefix == "HELLO W")
            app.query_one("#quantity", Choice).value = "f"  # the forget gate's heatmap
            app.query_one("#unit", Input).value = "3"  # the prefix coloured by unit 3
            await pilot.pause()
            view.redraw()
        assert calls.names == []
        assert "forget gate f" in app.query_one(Heatmap).plain
        assert "unit 3" in str(app.query_one("#coloured").content)
