"""Predict shows an encoder-decoder's attention (issue 16): one row per token the decoder wrote, one
column per token it read, drawn from the prediction the predictor made for the typed input."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from app_helpers import ready, wait_for
from textual.widgets import Input

from rnntui.app.app import RnnApp
from rnntui.app.messages import OpenRun
from rnntui.app.state import Phase
from rnntui.app.widgets.form import Choice
from rnntui.app.widgets.heatmap import Heatmap
from rnntui.app.widgets.predict_view import PredictView
from rnntui.core.presets import resolve
from rnntui.core.runs import RunDir
from rnntui.core.trainer import Trainer

STEPS = 150  # enough for letters of 3–6 to come out reversed, looking at the anti-diagonal


def small_attention_run(base: Path, attention: str = "dot", steps: int = STEPS) -> Path:
    """The attention lesson at a size that trains in seconds (the picture, not the goal)."""
    spec = resolve("attention")
    model = dataclasses.replace(spec.model, hidden_size=32, embedding_dim=16, attention=attention)
    task = dataclasses.replace(spec.task, params={**spec.task.params, "min_len": 3, "max_len": 6})
    # (its own lr: the picture must not move when the lesson's is tuned for its 20–40 letters)
    train = dataclasses.replace(spec.train, steps=steps, batch_size=32, lr=0.003, eval_every=steps, device="cpu")
    spec = dataclasses.replace(spec, task=task, model=model, train=train)
    run = RunDir.create(base / "runs", spec)
    Trainer(spec, run=run).run()
    return run.path


@pytest.fixture(scope="module")
def trained_attention(tmp_path_factory) -> Path:
    return small_attention_run(tmp_path_factory.mktemp("attention"))


async def open_in_predict(pilot, run: Path, steps: int = STEPS) -> PredictView:
    app = pilot.app
    await ready(pilot, "hello")
    app.post_message(OpenRun(run))
    await wait_for(pilot, lambda: app.training.phase is Phase.READY and app.training.step == steps)
    await ready(pilot, "attention")
    view = app.query_one(PredictView)
    await wait_for(pilot, lambda: view.prediction is not None)
    return view


def quantity_values(app: RnnApp) -> list[str]:
    return app.query_one("#quantity", Choice).values


async def test_attention_is_drawn_a_row_per_written_token_and_a_column_per_read_token(trained_attention) -> None:
    app = RnnApp(runs_dir=str(trained_attention.parent))
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_in_predict(pilot, trained_attention)
        assert "attention" in quantity_values(app)
        prefix = app.query_one("#prefix", Input)
        prefix.value = "abcd"
        await wait_for(pilot, lambda: view.prediction.prefix == "abcd")
        app.query_one("#quantity", Choice).value = "attention"
        await pilot.pause()
        table = view.table
        assert len(table.attention) == len(table.written) >= 1  # a row per token written, </s> included
        assert all(len(row) == 4 and abs(sum(row) - 1) < 1e-4 for row in table.attention)
        shown = app.query_one(Heatmap).plain.splitlines()
        assert shown[1].split() == ["a", "b", "c", "d"]  # the source tokens over their columns
        assert len(shown) == 2 + len(table.written)
        assert [line.split()[0] for line in shown[2:]] == list(table.written)

        await pilot.press("end", "e")  # one more letter read: one more column in every row
        await wait_for(pilot, lambda: view.prediction.prefix == "abcde")
        await pilot.pause()
        assert all(len(row) == 5 for row in view.table.attention)
        assert app.query_one(Heatmap).plain.splitlines()[1].split() == ["a", "b", "c", "d", "e"]


async def test_without_attention_the_list_does_not_offer_it(tmp_path) -> None:
    run = small_attention_run(tmp_path, attention="none", steps=2)
    app = RnnApp(runs_dir=str(run.parent))
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_in_predict(pilot, run, steps=2)
        assert "attention" not in quantity_values(app)
        assert view.table.attention == ()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_snapshot_of_the_attention_heatmap(snap_compare, trained_attention, size, monkeypatch) -> None:
    monkeypatch.setenv("RNNTUI_TRAIN_THREADS", "1")  # shown in the status line: the same on every machine

    async def run_before(pilot) -> None:
        app = pilot.app
        view = await open_in_predict(pilot, trained_attention)
        app.query_one("#prefix", Input).value = "revers"
        await wait_for(pilot, lambda: view.prediction.prefix == "revers")
        app.query_one("#quantity", Choice).value = "attention"
        await pilot.press("escape")
        await pilot.pause()

    assert snap_compare(RnnApp(runs_dir=str(trained_attention.parent)), terminal_size=size, run_before=run_before)
