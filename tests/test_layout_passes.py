"""While training, a report repaints the numbers that changed and lays nothing out again.

A layout pass of the whole screen took ~10 ms on the 2-core machine, in the process whose every
cycle is taken from training: Train's metrics (three lines whose numbers change at every report)
asked for one at each report, and the gradient-flow legend ("layer 1 @step") at each replot — 33
passes in 10 s of char-lm — and the hidden Train view's metrics and samples 24 more while 14
keys were typed in Predict. A text of another height still lays the screen out (tests below)."""

from __future__ import annotations

from pathlib import Path

from app_helpers import inject, ready, wait_for
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widget import Widget
from textual.widgets import Static

from rnntui.app.app import RnnApp
from rnntui.app.widgets.fitted import Fitted
from rnntui.core import events as ev


class LayoutSpy:
    """Records the layout passes a widget asks for (Widget.refresh(layout=True))."""

    def __init__(self, widget: Widget) -> None:
        self.asked = 0
        refresh = widget.refresh

        def spy(*regions, **kwargs):
            self.asked += bool(kwargs.get("layout"))
            return refresh(*regions, **kwargs)

        widget.refresh = spy  # type: ignore[method-assign]


def point(step: int) -> ev.StepPoint:
    return ev.StepPoint(step, 2.0 / step, 1.0 / step, False, {"layer 1": 0.5 / step}, 0.01)


async def test_reports_while_training_lay_nothing_out_again(tmp_path: Path):
    app = RnnApp(preset="hello", runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:  # (the three charts side by side)
        await ready(pilot, "hello")
        await pilot.press("2")
        metrics = app.query_one("#metrics", Static)
        legends = list(app.query(".legend").results(Static))
        samples = app.query_one("#samples", Static)
        flow = app.query_one("#chart-flow").query_one(".legend", Static)
        inject(app, ev.Started(run_dir=None, device="cpu", params=1, spec_name="hello", description="", step=0))
        inject(app, ev.Evaluated(step=0, val_loss=2.0, metric_name="accuracy", metric=0.1, samples=["HEL"]))
        inject(app, ev.Progress([point(5)], 500.0, 5.0, 0.05, threads=1))
        inject(app, ev.GradientFlow(step=5, norms={"layer 1": [0.1, 0.2, 0.3]}, probe_s=0.01))
        await wait_for(pilot, lambda: "HEL" in str(samples.content) and app.training.step == 5)
        # Their first data: the samples appear, the legends name what is drawn (laid out, once).
        app.view("train").replot_all()
        loss_legend = app.query_one("#chart-loss").query_one(".legend", Static)
        await wait_for(pilot, lambda: "train" in str(loss_legend.content) and "@5" in str(flow.content))
        await pilot.pause()
        spies = [LayoutSpy(w) for w in (metrics, samples, *legends)]
        height = metrics.size.height
        for k in range(1, 6):  # new numbers at each report, and a gradient flow probed at a new step
            inject(app, ev.Progress([point(10 * k)], 1000.0 * k, 10.0 * k, 0.1 * k, threads=1))
            inject(app, ev.GradientFlow(step=10 * k, norms={"layer 1": [0.1, 0.2, 0.3]}, probe_s=0.01))
            await wait_for(pilot, lambda k=k: app.training.step == 10 * k and f"step {10 * k}" in str(metrics.content))
            app.view("train").replot_all()  # (as the charts' timer does, at most once a second)
            await wait_for(pilot, lambda k=k: f"@{10 * k}" in str(flow.content))
        assert metrics.size.height == height == 3
        await pilot.press("3")  # Train hidden: its reports lay nothing out while Predict is typed in
        inject(app, ev.Progress([point(60)], 6000.0, 60.0, 0.6, threads=1))
        inject(app, ev.Evaluated(step=60, val_loss=1.0, metric_name="accuracy", metric=0.5, samples=["HELLO"]))
        await wait_for(pilot, lambda: app.training.step == 60 and "step 60" in str(metrics.content))
        assert [spy.asked for spy in spies] == [0] * len(spies)


class OneText(App[None]):
    """One Fitted, as tall as its text (and, with `css`, as wide)."""

    def __init__(self, text: str = "one line", css: str = "Fitted { height: auto; }") -> None:
        super().__init__()
        self.text = text
        self.stylesheet.add_source(css)

    def compose(self) -> ComposeResult:
        yield Fitted(self.text, id="text")


async def test_a_taller_text_is_laid_out_to_its_height():
    app = OneText()
    async with app.run_test(size=(40, 10)) as pilot:
        widget = app.query_one("#text", Fitted)
        spy = LayoutSpy(widget)
        widget.update(Text("another line"))
        await pilot.pause()
        assert spy.asked == 0 and widget.size.height == 1
        widget.update(Text("three\nlines\nnow"))
        await pilot.pause()
        assert spy.asked and widget.size.height == 3
        widget.update(Text("a line far too long to fit in forty columns, so it wraps"))
        await pilot.pause()
        assert widget.size.height == 2


async def test_a_hidden_text_is_laid_out_when_shown():
    app = OneText()
    async with app.run_test(size=(40, 10)) as pilot:
        widget = app.query_one("#text", Fitted)
        widget.display = False
        await pilot.pause()
        spy = LayoutSpy(widget)
        widget.update(Text("three\nlines\nnow"))
        assert spy.asked == 0  # nothing to lay out while it is not shown
        widget.display = True
        await pilot.pause()
        assert widget.size.height == 3


async def test_a_text_whose_width_follows_it_grows_from_nothing():
    app = OneText("", "Fitted { width: auto; height: auto; }")
    async with app.run_test(size=(40, 10)) as pilot:
        widget = app.query_one("#text", Fitted)
        await pilot.pause()
        widget.update(Text("hello"))
        await pilot.pause()
        assert widget.size.width == 5
