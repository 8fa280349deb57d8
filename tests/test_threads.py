"""The training child's intra-op thread count: one rule on the size of a step's matrix products."""

from __future__ import annotations

import pytest

from rnntui.core.presets import resolve
from rnntui.core.spec import set_value
from rnntui.core.threads import MIN_WORK_PER_THREAD, step_work, training_threads


def threads(name: str, cores: int = 2, **model: int) -> int:
    spec = resolve(name)
    for key, value in model.items():
        spec = set_value(spec, "model", key, value)
    return training_threads(spec, cores=cores)


@pytest.mark.parametrize(("name", "expected"), [("hello", 1), ("long-memory", 2)])
def test_small_networks_train_on_one_thread_and_big_ones_on_every_core(name: str, expected: int) -> None:
    assert threads(name) == expected


def test_the_rule_grows_with_the_network() -> None:
    small = resolve("hello")
    assert step_work(small) < MIN_WORK_PER_THREAD
    assert threads("hello", hidden_size=512) == 2
    assert threads("hello", cores=8, hidden_size=512) == 8
    assert threads("long-memory", cores=1) == 1
