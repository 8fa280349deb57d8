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


def test_a_run_that_ends_while_the_form_is_invalid_leaves_the_network_blocked() -> None:
    """The form's error blocks a new run, not the one in progress: the run's end blocks."""
    from rnntui.core.spec import ExperimentSpec

    spec = ExperimentSpec()
    training = TrainingState(phase=Phase.TRAINING, spec=spec, step=10, form_error="lr: not a number")
    paused = reduce(training, p.Paused(11))
    assert paused.phase is Phase.PAUSED and paused.form_error
    ended = reduce(dataclasses.replace(training, finished=ev.RunEnd.TARGET), p.Idle(12))
    assert ended.phase is Phase.BLOCKED and ended.step == 12
    fixed = dataclasses.replace(ended, form_error=None)
    assert fixed.idle_phase is Phase.FINISHED


def test_once_every_step_is_done_the_status_line_offers_no_more_steps() -> None:
    from rnntui.app.state import status_line
    from rnntui.core.spec import ExperimentSpec

    spec = ExperimentSpec()
    done = TrainingState(phase=Phase.READY, spec=spec, step=spec.train.steps)
    assert "space trains on" not in status_line(done) and "r resets" in status_line(done)
    finished = dataclasses.replace(done, phase=Phase.FINISHED, finished=ev.RunEnd.GOAL)
    assert "space trains on" not in status_line(finished) and "r resets" in status_line(finished)
    more = dataclasses.replace(finished, step=spec.train.steps - 1)
    assert "space trains on" in status_line(more)
    for state in (done, finished, more):
        assert len(status_line(dataclasses.replace(state, step=99_999))) <= 78
