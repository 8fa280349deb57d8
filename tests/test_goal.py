"""A goal counts only for a network that learnt something (issue 13's walk, D9).

hello's goal is one probe: p(O | HELL) ≥ 0.9. A network trained at lr 1 diverged to one that puts
nearly all its probability on O whatever it reads: the probe met the goal and Runs showed ✓, with
a validation loss (6.49) far above the unigram baseline (2.72)."""

from __future__ import annotations

import dataclasses
import math

import torch

from rnntui.core.evaluation import Scores
from rnntui.core.experiment import build
from rnntui.core.presets import resolve
from rnntui.core.spec import GoalSpec


def hello_scores() -> tuple[Scores, torch.nn.Module]:
    spec = resolve("hello")
    spec = dataclasses.replace(spec, train=dataclasses.replace(spec.train, device="cpu"))
    task, model = build(spec)
    return Scores(spec, task, torch.device("cpu")), model


def test_a_network_that_always_says_o_meets_the_probe_but_not_the_goal() -> None:
    scores, model = hello_scores()
    o = scores.task.out_vocab.stoi["O"]
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.fill_(-20.0)
        model.head.bias[o] = 20.0  # O, whatever comes before: a degenerate, "diverged" network
    evaluated = scores.evaluate(model, step=600)
    assert evaluated.metrics["p_probe"] > 0.99  # the probe alone says: goal met
    assert evaluated.val_loss > scores.task.baseline  # worse than guessing by letter frequency
    assert scores.goal_reached(600) is None
    summary = scores.goal_summary()
    assert summary is not None and summary["met"] is False


def test_the_goal_rule_needs_the_loss_below_the_baseline_when_there_is_one() -> None:
    goal = GoalSpec(metric="p_probe", threshold=0.9, direction="max")
    assert goal.met_by(0.95, val_loss=1.2, baseline=2.72)
    assert not goal.met_by(0.95, val_loss=6.49, baseline=2.72)
    assert not goal.met_by(0.95, val_loss=math.nan, baseline=2.72)
    assert not goal.met_by(0.5, val_loss=1.2, baseline=2.72)
    assert goal.met_by(0.95, val_loss=None, baseline=None)  # nothing to compare with: the metric decides


def test_the_cli_says_why_a_metric_at_its_target_is_not_the_goal() -> None:
    from rnntui.core import events as ev
    from rnntui.headless import summary

    goal = {"metric": "p_probe", "threshold": 0.9, "direction": "max", "baseline": 2.72, "value": 1.0, "met": False}
    final = {"loss": 5.48, "val_loss": 6.49, "metric": 1.0, "metric_name": "p_probe"}
    done = ev.Finished(600, ev.RunEnd.TARGET, run_dir=None, initial_loss=3.0, final=final, goal=goal, elapsed_s=10.0)
    assert "not met: val loss above the baseline 2.72" in summary(done, 0, 10.0)
