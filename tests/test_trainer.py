from __future__ import annotations

import dataclasses
import math
import threading

import torch

from helpers import tiny
from rnntui.core import events as ev
from rnntui.core.events import RunEnd
from rnntui.core.presets import resolve
from rnntui.core.spec import set_value
from rnntui.core.trainer import Trainer


def test_hello_loss_falls_and_every_step_is_reported():
    spec = set_value(resolve("hello"), "train", "device", "cpu")
    events: list[ev.Event] = []
    finished = Trainer(spec).run(on_event=events.append, steps=60)
    points = [p for e in events if isinstance(e, ev.Progress) for p in e.points]
    assert [p.step for p in points] == list(range(1, 61)), "no step may be lost between reports"
    first = sum(p.loss for p in points[:5]) / 5
    last = sum(p.loss for p in points[-5:]) / 5
    assert last < 0.5 * first
    assert finished.initial_loss == points[0].loss
    assert math.isclose(finished.initial_loss, math.log(29), rel_tol=0.15)  # ≈ ln|V| at the start
    assert all(set(p.layer_norms) == {"input", "layer 1", "output"} for p in points)
    kinds = [e.kind for e in events]
    assert kinds[0] == "started" and kinds[-1] == "finished"
    assert "gradient_flow" in kinds and "evaluated" in kinds


def exploding_spec():
    spec = tiny(
        "adding", {"seq_len": 30}, pattern="many_to_one", cell="rnn_relu", hidden_size=32, recurrent_init_scale=3.0
    )
    return dataclasses.replace(spec, train=dataclasses.replace(spec.train, lr=5.0, optimizer="sgd", steps=200))


def test_divergence_is_an_event_and_keeps_the_weights_from_before_the_bad_step():
    spec = exploding_spec()
    events: list[ev.Event] = []
    trainer = Trainer(spec)
    finished = trainer.run(on_event=events.append)
    diverged = [e for e in events if isinstance(e, ev.Diverged)]
    assert len(diverged) == 1 and finished.reason is RunEnd.DIVERGED
    bad = diverged[0]
    assert not (math.isfinite(bad.loss) and math.isfinite(bad.grad_norm))
    assert "clip" in bad.advice
    assert trainer.step_count == bad.step - 1
    assert all(torch.isfinite(p).all() for p in trainer.model.parameters())
    # An uninterrupted run of bad.step - 1 steps reaches exactly the kept weights.
    reference = Trainer(spec)
    reference.run(steps=bad.step - 1)
    for a, b in zip(trainer.model.parameters(), reference.model.parameters(), strict=True):
        assert torch.equal(a, b)


def test_clipping_reports_the_pre_clip_norm_and_the_flag():
    spec = exploding_spec()
    spec = dataclasses.replace(spec, train=dataclasses.replace(spec.train, clip_norm=0.5, lr=0.01, steps=20))
    events: list[ev.Event] = []
    Trainer(spec).run(on_event=events.append)
    points = [p for e in events if isinstance(e, ev.Progress) for p in e.points]
    assert any(p.clipped and p.grad_norm > 0.5 for p in points)
    assert all(p.clipped == (p.grad_norm > 0.5) for p in points)


def test_stop_and_halt():
    spec = tiny("char_lm", {"seq_len": 12})
    spec = dataclasses.replace(spec, train=dataclasses.replace(spec.train, steps=100_000))
    stop = threading.Event()

    def on_event(e: ev.Event) -> None:
        if isinstance(e, ev.Progress) and e.points[-1].step >= 30:
            stop.set()

    finished = Trainer(spec).run(stop=stop, on_event=on_event, every_s=0.0)
    assert finished.reason is RunEnd.HALTED and 30 <= finished.step < 100_000
    t = Trainer(spec)
    assert t.run_until(lambda: True, None, every_s=0.0) is ev.RunEnd.HALTED
    assert t.step_count == 0, "a halted trainer takes no steps"
    asked = iter([False] * 7 + [True])
    assert t.run_until(lambda: next(asked), None, every_s=0.0) is ev.RunEnd.HALTED
    assert t.step_count == 7, "halt is asked before every step"
    assert t.finish(RunEnd.HALTED).step == 7


def test_same_seed_same_curve():
    spec = tiny("sentiment", pattern="many_to_one")
    a, b = Trainer(spec), Trainer(spec)
    la, lb = [], []
    a.run(on_event=lambda e: la.extend(p.loss for p in getattr(e, "points", [])), steps=5)
    b.run(on_event=lambda e: lb.extend(p.loss for p in getattr(e, "points", [])), steps=5)
    assert la == lb


def test_goal_reached_event_and_summary():
    spec = set_value(resolve("hello"), "train", "device", "cpu")
    events: list[ev.Event] = []
    finished = Trainer(spec).run(on_event=events.append, steps=300)
    reached = [e for e in events if isinstance(e, ev.GoalReached)]
    assert reached and reached[0].metric == "p_probe" and reached[0].value >= 0.9
    assert finished.goal is not None and finished.goal["met"] is True


def test_truncated_bptt_trains():
    spec = tiny("char_lm", {"seq_len": 40})
    spec = dataclasses.replace(spec, train=dataclasses.replace(spec.train, tbptt=10))
    t = Trainer(spec)
    t.run(steps=3)
    assert t.last_loss is not None and math.isfinite(t.last_loss)
