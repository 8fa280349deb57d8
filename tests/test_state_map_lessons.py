"""The lessons the map of the hidden state teaches, on short seeded trainings (a few seconds each);
benchmarks/lessons.py measures the same on the presets trained in full."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from rnntui.core.map_lessons import landing, magnitude_order, negation_flips
from rnntui.core.predictor import Predictor
from rnntui.core.presets import resolve
from rnntui.core.state_map import StateMap, StateMapper
from rnntui.core.trainer import Trainer


@pytest.fixture(autouse=True)
def one_thread():
    """Small networks train fastest on one thread, and on a loaded 2-core machine two threads spin
    against other processes (measured: 100 sentiment steps 0.7 s on one, 7-16 s on two)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def trained(preset: str, steps: int, **model) -> tuple[Predictor, StateMap]:
    spec = resolve(preset)
    spec = dataclasses.replace(
        spec,
        train=dataclasses.replace(spec.train, steps=steps, device="cpu", eval_every=10**6),
        model=dataclasses.replace(spec.model, **model),
    )
    trainer = Trainer(spec)
    trainer.run()
    model_ = trainer.model.eval()
    fit = StateMapper(trainer.task, spec.train.batch_size).fit(model_)
    assert fit is not None
    return Predictor(model_, trainer.task), fit


def test_not_moves_the_sentiment_state_across_the_decision_line():
    predictor, fit = trained("sentiment", 300, hidden_size=32)
    for plain, negated in negation_flips(predictor, fit):
        assert plain.region != negated.region, (plain, negated)
        for side in (plain, negated):  # each lands among the states the network reads as it reads the prefix
            assert side.region == side.predicted and side.share >= 0.8, side


def test_the_doubling_states_are_ordered_by_magnitude():
    """Neighbours on the map read numbers of similar size once the network has learnt (an untrained
    one's neighbours are nearly as far apart in size as random states)."""
    predictor, fit = trained("doubling", 300, hidden_size=64)
    held_out = [s[:-1] for s in predictor.task.val_seqs]
    order = magnitude_order(predictor, fit, held_out)
    assert order.neighbour_ratio <= 0.5, order
    assert abs(order.first_axis_r) >= 0.4, order  # the first axis alone: measured 0.60 here, 0.54 trained in full
    untrained, fit0 = trained("doubling", 1, hidden_size=64)
    assert magnitude_order(untrained, fit0, held_out).neighbour_ratio >= 0.7


def test_hell_ends_where_o_is_predicted():
    predictor, fit = trained("hello", 150)
    end = landing(predictor, fit, "HELL", k=10)
    assert end.predicted == "O"
    assert end.region == "O" and end.share > 0.5, end
