"""The trainer keeps whichever intra-op thread count trains this model faster."""

from __future__ import annotations

import pytest
import torch

from rnntui.core import thread_tuner
from rnntui.core.thread_tuner import ThreadTuner


@pytest.fixture
def restore_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


@pytest.mark.parametrize(
    ("ms_per_step", "expected"),
    [({2: 2.0, 1: 1.0}, 1), ({2: 1.0, 1: 2.0}, 2), ({2: 1.0, 1: 0.99}, 2)],  # a 1 % gain keeps all cores
)
def test_the_faster_count_wins(monkeypatch, restore_threads, ms_per_step, expected):
    clock = FakeClock()
    monkeypatch.setattr(thread_tuner.time, "perf_counter", clock)
    tuner = ThreadTuner(most=2)
    seen = []
    for _ in range(10_000):
        if tuner.done:
            break
        tuner.before_step()
        n = torch.get_num_threads()
        seen.append(n)
        step_s = ms_per_step[n] / 1e3
        clock.t += step_s
        tuner.after_step(step_s)
    assert tuner.choice == expected and torch.get_num_threads() == expected
    switches = [b for a, b in zip(seen, seen[1:], strict=False) if a != b]
    assert switches[:5] == [1, 2, 1, 2, 1], "blocks alternate, so a drifting machine favours neither"
    assert str(expected) in tuner.summary()


def test_one_core_has_nothing_to_try(restore_threads):
    assert ThreadTuner(most=1).done


def test_a_trainer_tunes_once_on_its_first_run(restore_threads):
    from rnntui.core.presets import resolve
    from rnntui.core.spec import set_value
    from rnntui.core.trainer import Trainer

    torch.set_num_threads(2)
    trainer = Trainer(set_value(resolve("hello"), "train", "device", "cpu"))
    trainer.run(steps=400, tune_threads=True)
    tuner = trainer.thread_tuner
    assert tuner is not None and tuner.done and torch.get_num_threads() == tuner.choice
    trainer.run(steps=410, tune_threads=True)
    assert trainer.thread_tuner is tuner
