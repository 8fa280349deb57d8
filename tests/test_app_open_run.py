"""Opening a saved run: Build shows that run's network, Train its curves up to its checkpoint."""

from __future__ import annotations

import dataclasses

from app_helpers import ready, wait_for
from textual.widgets import Input

from rnntui.app.app import RnnApp
from rnntui.app.messages import OpenRun
from rnntui.app.state import Phase
from rnntui.core.presets import resolve
from rnntui.core.runs import RunDir
from rnntui.core.spec import set_value
from rnntui.core.trainer import Trainer


def saved_run(base, steps: int = 30) -> RunDir:
    spec = set_value(set_value(resolve("hello"), "model", "hidden_size", 24), "train", "device", "cpu")
    spec = dataclasses.replace(spec, train=dataclasses.replace(spec.train, eval_every=10))
    run = RunDir.create(base, spec)
    trainer = Trainer(spec, run=run)
    trainer.run(steps=steps)
    trainer.close()
    return run


async def test_an_opened_run_brings_its_network_and_its_curves(tmp_path) -> None:
    run = saved_run(tmp_path / "runs")
    app = RnnApp(runs_dir=str(tmp_path / "runs"))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        assert app.query_one("#hidden_size", Input).value == "64"
        app.post_message(OpenRun(run.path))
        await wait_for(pilot, lambda: app.training.phase is Phase.READY and app.training.step == 30)
        await pilot.pause()
        s = app.training
        assert s.spec is not None and s.spec.model.hidden_size == 24
        assert app.query_one("#hidden_size", Input).value == "24"
        assert s.curves.steps == tuple(range(1, 31)), "the run's own steps, each once"
        assert [step for step, _ in s.curves.val] == [10, 20, 30]
        assert s.loss == s.curves.losses[-1] and s.flow is not None


async def test_more_steps_for_an_opened_run_train_on_from_where_it_is(tmp_path) -> None:
    run = saved_run(tmp_path / "runs")
    app = RnnApp(runs_dir=str(tmp_path / "runs"))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        app.post_message(OpenRun(run.path))
        await wait_for(pilot, lambda: app.training.phase is Phase.READY and app.training.step == 30)
        process = app.link.current
        await pilot.press("1")
        steps = app.query_one("#steps", Input)
        steps.focus()
        steps.value = str(app.training.total + 20)
        await pilot.press("enter", "escape")
        await wait_for(pilot, lambda: app.training.total == 620)
        await pilot.press("space")
        await wait_for(pilot, lambda: app.training.phase is Phase.FINISHED)
        # Training 590 steps outlasts the Build edit's debounce: a rebuild would be a new process.
        assert app.link.current == process, "the opened run was started again from scratch"
        assert app.training.step == 620 and app.training.curves.steps[:30] == tuple(range(1, 31))
