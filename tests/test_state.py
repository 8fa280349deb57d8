"""The one training state: what each reply does to it (app/state.py: reduce)."""

from __future__ import annotations

import dataclasses

from rnntui.app.state import Phase, TrainingState, Waiting, reduce
from rnntui.core import events as ev
from rnntui.core import trainer_protocol as p


def progress(step: int, tokens_per_s: float) -> p.Event:
    point = ev.StepPoint(step, 1.0, 0.5, False, {}, 0.01)
    return p.Event(ev.Progress([point], tokens_per_s, 1.0, 0.1))


def test_a_single_step_does_not_pass_for_the_training_speed() -> None:
    paused = TrainingState(phase=Phase.PAUSED, step=10, tokens_per_s=20_000.0)
    stepping = dataclasses.replace(paused, waiting=Waiting.STEP)
    after = reduce(stepping, progress(11, 73_851.0))
    assert after.step == 11 and after.tokens_per_s == 20_000.0
    training = reduce(dataclasses.replace(paused, phase=Phase.TRAINING), progress(11, 25_000.0))
    assert training.tokens_per_s == 25_000.0
