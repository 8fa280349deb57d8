"""The map in Predict: m switches the lower panel between the heatmap and the map, the map draws the
typed prefix's path labelled by its tokens, and nothing of it runs torch on the event loop."""

from __future__ import annotations

from app_helpers import ready, screen_lines, wait_for
from test_predict_off_the_loop import TorchCalls
from textual.widgets import Input

from rnntui.app.app import RnnApp
from rnntui.app.widgets.form import Choice
from rnntui.app.widgets.help_screen import help_sections
from rnntui.app.widgets.predict_view import PredictView
from rnntui.app.widgets.state_map import Grid, StateMapPlot


def map_letters(app) -> set[str]:
    """The letters drawn inside the map's plot (its cloud and lines are dots and braille: letters
    there are the path's labels)."""
    lines = screen_lines(app)
    top = next(i for i, line in enumerate(lines) if line.startswith("map of the hidden state"))
    bottom = next(i for i, line in enumerate(lines) if "━ the prefix" in line)
    return {ch for line in lines[top + 1 : bottom] for ch in line if ch.isascii() and ch.isalpha()}


async def open_predict(pilot) -> PredictView:
    app = pilot.app
    await ready(pilot, "hello")
    await pilot.press("3")
    view = app.query_one(PredictView)
    await wait_for(pilot, lambda: view.prediction is not None and view.prediction.prefix == "HELL")
    await pilot.press("escape")  # out of the prefix: single keys work
    return view


async def test_m_puts_the_map_in_the_heatmaps_place_and_back(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_predict(pilot)
        assert app.query_one("#heat-box").display and not app.query_one("#state-map").display
        assert view.table.map is None  # hidden, it is not asked for (nor fitted: test_the_predictor_fits_…)
        assert "m" in app.query_one("#keys").shown_keys
        rows = dict(help_sections(app, view)[0].rows)  # help's rows for Predict, from the same binding
        assert "map of the hidden state" in rows["m"]
        await pilot.press("m")
        await pilot.pause()
        assert view.has_class("-map")
        assert app.query_one("#state-map").display
        assert not app.query_one("#heat-box").display and not app.query_one("#heat-controls").display
        plot = app.query_one(StateMapPlot)
        await wait_for(pilot, lambda: plot.picture.tokens == ("H", "E", "L", "L"))
        assert {"H", "E", "L"} <= map_letters(app)
        await pilot.press("O")  # typing goes on in the prefix; the path follows it
        await wait_for(pilot, lambda: plot.picture.tokens == ("H", "E", "L", "L", "O"))
        assert "O" in map_letters(app)
        await pilot.press("escape", "m")
        await pilot.pause()
        assert app.query_one("#heat-box").display and not app.query_one("#state-map").display


async def test_a_heatmap_control_focused_when_the_map_opens_gives_the_focus_to_the_view(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_predict(pilot)
        app.query_one("#layer", Choice).focus()
        await pilot.press("m")
        await pilot.pause()
        assert view.has_class("-map") and app.focused is view


async def test_the_map_draws_without_torch_on_the_event_loop(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_predict(pilot)
        plot = app.query_one(StateMapPlot)
        with TorchCalls() as calls:
            await pilot.press("m")
            await wait_for(pilot, lambda: plot.picture.tokens == ("H", "E", "L", "L"))
            app.query_one("#prefix", Input).value = "HELLO W"
            await wait_for(pilot, lambda: len(plot.picture.tokens) == 7)
            view.redraw()
        assert calls.names == []
        assert plot.picture.table is view.table.map


def test_crowded_labels_keep_the_newest_and_never_overwrite_one_another():
    grid = Grid(0.0, 10.0, 0.0, 10.0, cols=160, rows=40)  # an 80 × 10 plot
    xs, ys = [5.0] * 6 + [1.0], [5.0] * 6 + [9.0]  # six steps on one spot, then one far away
    labels = grid.labels(xs, ys, ("the", "movie", "was", "good", ",", "not", "bad"), most=7)
    assert labels == [(6, "bad"), (5, "not")]  # the older ones on the same spot would be overwritten
    apart = grid.labels([float(i) for i in range(10)], [float(i) for i in range(10)], tuple("abcdefghij"), most=3)
    assert [i for i, _ in apart] == [9, 8, 7]  # room for all, but only the last `most`
    assert grid.labels([1.0], [1.0], (" ",), most=3) == [(0, "␣")]  # a space is shown, as in the heatmap
    ((_, escape),) = grid.labels([1.0], [1.0], ("\x1b[31m",), most=1)  # typed text never reaches the terminal raw
    assert "\x1b" not in escape


def test_the_predictor_fits_the_map_only_while_it_is_shown_and_once_per_weights(monkeypatch):
    import queue

    from predictor_helpers import ServiceThread

    from rnntui.core import state_map
    from rnntui.core.predictor_client import Read
    from rnntui.core.predictor_protocol import Feed, Network
    from rnntui.core.presets import resolve
    from rnntui.core.trainer import Trainer
    from rnntui.core.trainer_protocol import Weights

    fits: list[int] = []
    fit = state_map.StateMapper.fit
    monkeypatch.setattr(state_map.StateMapper, "fit", lambda self, *a, **k: fits.append(1) or fit(self, *a, **k))
    trainer = Trainer(resolve("hello"))
    answers: queue.Queue[Read] = queue.Queue()
    # (each feed's first answer is partial, without the map: its complete answer follows)
    thread = ServiceThread(lambda m: answers.put(m) if isinstance(m, Read) and not m.partial else None)
    thread.request(Network(trainer.spec, trainer.task.state(), Weights(trainer.cpu_state())))
    try:
        thread.request(Feed("HELL"))
        assert answers.get(timeout=60).table.map is None and fits == []  # hidden: not fitted, no data read
        thread.request(Feed("HELL", map=True))
        first = answers.get(timeout=60).table.map
        assert first is not None and len(first.xs) == 4 and len(fits) == 1
        thread.request(Feed("HELLO", map=True))  # the same weights: the same fit
        assert answers.get(timeout=60).table.map.cloud is first.cloud and len(fits) == 1
        trainer.run(steps=5)
        thread.request(Weights(trainer.cpu_state()))  # re-runs the last prefix, with the map refitted
        refit = answers.get(timeout=60).table.map
        assert refit is not None and refit.cloud is not first.cloud and len(fits) == 2
    finally:
        thread.close()
