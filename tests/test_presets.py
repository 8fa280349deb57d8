"""Every shipped preset loads, validates and trains a few steps; broken files are reported by name."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from rnntui.core.experiment import build_task
from rnntui.core.presets import discover, resolve, sorted_entries
from rnntui.core.spec import SpecError, TaskSpec, set_value
from rnntui.core.trainer import Trainer

SHIPPED = [e.name for e in sorted_entries(discover())]
LESSONS = {
    "hello",
    "doubling",
    "sine",
    "char-lm",
    "sentiment",
    "pos-tagging",
    "river-bank",
    "translate",
    "spell-number",
    "long-memory",
    "exploding",
    "deep-stack",
    "cat-sat",
}


def test_the_lesson_presets_ship():
    assert LESSONS <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_preset_trains_a_few_steps(name):
    spec = resolve(name)
    assert spec.title and spec.lesson and spec.try_next and spec.goal is not None
    for override, why in spec.try_next:
        assert why
        set_value(spec, *override.split("=", 1)[0].split("."), override.split("=", 1)[1])
    small = dataclasses.replace(spec, train=dataclasses.replace(spec.train, device="cpu", eval_every=3))
    trainer = Trainer(small)
    finished = trainer.run(steps=3)
    assert finished.step == 3 and math.isfinite(finished.final["loss"])
    assert finished.goal is not None and finished.goal["metric"] == spec.goal.metric
    assert finished.goal["value"] is not None, "the goal's metric must be one the task reports"


def test_a_broken_preset_is_reported_by_name_and_the_rest_load(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNTUI_PRESETS_DIR", str(tmp_path))
    (tmp_path / "broken.toml").write_text("title = 'x'\n[task]\nname = 'char_lm'\n[model]\nwings = 2\n")
    (tmp_path / "bad-syntax.toml").write_text("[model\n")
    entries = {e.name: e for e in discover()}
    assert entries["broken"].spec is None and "wings" in entries["broken"].error
    assert "broken.toml" in entries["broken"].error
    assert entries["bad-syntax"].spec is None and "not valid TOML" in entries["bad-syntax"].error
    assert entries["hello"].spec is not None


@pytest.mark.parametrize("task", ["sentiment", "translate", "agreement", "pos_tagging"])
def test_held_out_sentences_are_never_trained_on(task):
    t = build_task(TaskSpec(task, {}))

    def rows(pool):
        x = pool.x if pool.lengths is None else pool.x
        return {tuple(r.tolist()) for r in x}

    assert not rows(t.train_pool) & rows(t.val_pool)


def test_agreement_labels_follow_the_subject_not_the_last_noun():
    t = build_task(TaskSpec("agreement", {"max_distractors": 3, "sentences": 500}))
    itos = t.in_vocab.itos
    plural_nouns = {"cats", "dogs", "boys", "girls", "teachers", "farmers", "birds", "kings"}
    for i in range(50):
        subject = itos[int(t.train_pool.x[i, 1])]
        label = t.out_vocab.itos[int(t.train_pool.y[i])]
        assert label == ("plural" if subject in plural_nouns else "singular")


def test_own_csv_series(tmp_path):
    good = tmp_path / "series.csv"
    good.write_text("t,value\n" + "\n".join(f"{i},{math.sin(i / 5):.4f}" for i in range(400)))
    task = build_task(TaskSpec("sine", {"path": str(good), "column": "value", "seq_len": 20}))
    batch = task.train_batch(0, 8, 0)
    assert batch.x.shape == (8, 20, 1) and torch.isfinite(batch.x).all()
    with pytest.raises(SpecError, match="columns: t, value"):
        build_task(TaskSpec("sine", {"path": str(good), "column": "price"}))
    short = tmp_path / "short.csv"
    short.write_text("v\n1\n2\n3\n")
    with pytest.raises(SpecError, match="need at least"):
        build_task(TaskSpec("sine", {"path": str(short), "column": "v"}))
    text = tmp_path / "words.csv"
    text.write_text("v\n" + "\n".join(["x"] * 300))
    with pytest.raises(SpecError, match="is not a number"):
        build_task(TaskSpec("sine", {"path": str(text), "column": "v"}))


def test_lesson_lines_are_joined_and_paragraphs_kept():
    from rnntui.core.presets import reflow

    text = "\nEach number is one token,\nso the network   remembers.\n\n  A second paragraph\nhere.\n"
    assert reflow(text) == "Each number is one token, so the network remembers.\n\nA second paragraph here."
