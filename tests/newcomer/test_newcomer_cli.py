"""The first hour on the command line and in the predictor (issue 13, findings 2, 7 and 10)."""

from __future__ import annotations

import json

import pytest

from rnntui.cli import main
from rnntui.core.experiment import build
from rnntui.core.predictor import Predictor
from rnntui.core.presets import resolve


@pytest.fixture(scope="module")
def doubling():
    task, model = build(resolve("doubling"))
    return Predictor(model, task)


def test_a_number_continuation_is_not_glued_to_the_prefix(doubling) -> None:
    pred = doubling.feed("2 4 8", generate=3, seed=0)
    words = (pred.prefix + pred.output.continuation).split()
    assert len(words) == 6 and all(w.isdigit() for w in words)  # "2 4 816 32 64" had 5
    sampled = (pred.prefix + pred.output.sampled).split()
    assert sampled[:3] == ["2", "4", "8"] and len(sampled) == 6
    assert doubling.feed("2 4 8 ", generate=2).output.continuation[0] != " "  # no double space after a space


def test_characters_continue_without_a_separator() -> None:
    task, model = build(resolve("hello"))
    pred = Predictor(model, task).feed("HELL", generate=4)
    assert len(pred.output.continuation) == 4  # four characters, nothing put between them and the prefix


def test_every_unknown_token_is_counted(doubling) -> None:
    pred = doubling.feed("2 x y z w v u 4")
    assert "and 1 more" in (pred.notice or "")


def last_json(capsys) -> list[dict]:
    return [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]


def test_the_final_metric_is_named_after_the_goal(tmp_path, capsys) -> None:
    assert main(["train", "hello", "--steps", "20", "--device", "cpu", "--json", "--runs-dir", str(tmp_path)]) == 0
    final = last_json(capsys)[-1]
    assert final["final"]["metric_name"] == final["goal"]["metric"] == "p_probe"
    assert final["final"]["metric"] == final["goal"]["value"]


def test_hunt_counts_layers_from_one_as_its_text_does(tmp_path, capsys) -> None:
    assert main(["train", "hello", "--steps", "5", "--device", "cpu", "--json", "--runs-dir", str(tmp_path)]) == 0
    run_dir = last_json(capsys)[-1]["run_dir"]
    assert main(["hunt", run_dir, "HELLO WORLD HELLO", "L+", "--json", "--top", "3"]) == 0
    units = json.loads(capsys.readouterr().out)["units"]
    assert {u["layer"] for u in units} == {1} and {u["direction"] for u in units} == {"forward"}
    assert main(["hunt", run_dir, "HELLO WORLD HELLO", "L+", "--top", "1"]) == 0
    assert capsys.readouterr().out.startswith("layer 1 unit")


def test_resume_says_how_many_steps_it_ran(tmp_path, capsys) -> None:
    assert main(["train", "hello", "--steps", "10", "--device", "cpu", "--json", "--runs-dir", str(tmp_path)]) == 0
    run_dir = last_json(capsys)[-1]["run_dir"]
    assert main(["resume", run_dir, "--steps", "25"]) == 0
    out = capsys.readouterr().out
    assert "15 steps (from step 10 to 25)" in out
