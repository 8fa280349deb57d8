"""Loading a preset builds its task once: in the training process, before it says ready. The app's
predictor rebuilds the task from the trainer's vocabulary and makes none of its data (it made
translate's 40,000 pairs a second time: 2.3 s of the app's CPU at every load)."""

from __future__ import annotations

import multiprocessing
import os
import random
from pathlib import Path

import pytest
import torch
from app_helpers import ready

from rnntui.app.app import RnnApp
from rnntui.core import tasks, trainer_client
from rnntui.core.presets import resolve
from rnntui.core.tasks.agreement import below
from rnntui.core.tasks.data import IGNORE, Vocab, concat_padded, pad_sequences
from rnntui.core.tasks.seq2seq import OUT_SPECIALS, VERBS, Grammar, TranslateTask
from rnntui.core.tasks.words import PoolTask, decoder_targets, is_held_out, vocab_of
from rnntui.core.trainer import Trainer


def count_builds(monkeypatch, log: Path) -> None:
    """Every making of a task's data, by any process forked from this one, is a line in `log`."""
    original = PoolTask.pools

    def pools(self: PoolTask):
        if self._pools is None:
            with open(log, "a") as f:
                f.write(f"{os.getpid()} {self.name}\n")
        return original(self)

    monkeypatch.setattr(PoolTask, "pools", pools)
    monkeypatch.setattr(tasks, "_CACHE", {})  # (a task another test built here would be inherited)
    # Training processes forked from this one, which counts: the fork server's would not.
    monkeypatch.setattr(trainer_client, "context", lambda: multiprocessing.get_context("fork"))


async def test_loading_a_preset_builds_its_task_once_in_the_training_process(monkeypatch, tmp_path) -> None:
    log = tmp_path / "builds"
    count_builds(monkeypatch, log)
    app = RnnApp(runs_dir=str(tmp_path / "runs"))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        app.action_load_preset("translate")
        await ready(pilot, "translate")  # (its predictor too: it has the network)
        trainer = app.link.client.pid
    builds = [line.split() for line in log.read_text().splitlines()]
    assert builds == [[str(trainer), "translate"]]


def test_a_task_for_training_makes_its_data_once_and_one_for_reading_prefixes_none(monkeypatch, tmp_path) -> None:
    log = tmp_path / "builds"
    count_builds(monkeypatch, log)
    trainer = Trainer(resolve("cat-sat"))  # task, model, probe batch: the data is made once
    trainer.run(steps=2)
    again = tasks.build_task(trainer.spec.task, state=trainer.task.state())
    assert again is not trainer.task and again._pools is None  # the predictor's: vocabularies only
    assert again.in_vocab.itos == trainer.task.in_vocab.itos
    assert log.read_text().split() == [str(os.getpid()), "agreement"]


# ---- the faster data is the same data -------------------------------------------------------------
def reference_translate_pools(held_out: float, train_pairs: int) -> tuple[list, list]:
    """What translate's pools were before Grammar: every pair as words, in the seeded order."""
    grammar = Grammar()
    pairs = [
        (s_en + [v] + o_en, s_es + [VERBS[v]] + o_es)
        for (s_en, s_es) in grammar.phrases
        for v in grammar.verbs
        for (o_en, o_es) in grammar.phrases
    ]
    order = torch.randperm(len(pairs), generator=torch.Generator().manual_seed(5)).tolist()
    train, val = [], []
    for i in order:
        en, es = pairs[i]
        if is_held_out(" ".join(en), held_out):
            if len(val) < 1000:
                val.append((en, es))
        elif len(train) < train_pairs:
            train.append((en, es))
    return train, val


@pytest.mark.parametrize("params", [{}, {"held_out": 0.3, "train_pairs": 500}])
def test_translate_pools_are_the_pairs_the_grammar_makes(params) -> None:
    task = TranslateTask(params)
    train, val = reference_translate_pools(task.p["held_out"], task.p["train_pairs"])
    in_vocab = vocab_of([en for en, _ in train + val], (Vocab.PAD, Vocab.UNK))
    assert in_vocab.itos == task.in_vocab.itos  # (every word is in the kept pairs too)
    assert vocab_of([es for _, es in train + val], OUT_SPECIALS).itos == task.out_vocab.itos
    for pool, pairs in ((task.train_pool, train), (task.val_pool, val)):
        x, lengths = pad_sequences([[task.in_vocab.stoi[w] for w in en] for en, _ in pairs], task.in_vocab.pad)
        y, y_in = decoder_targets([es for _, es in pairs], task.out_vocab)
        assert torch.equal(pool.x, x) and torch.equal(pool.lengths, lengths)
        assert torch.equal(pool.y, y) and torch.equal(pool.y_in, y_in)


def test_concat_padded_is_pad_sequences_of_the_joined_rows() -> None:
    rng = random.Random(3)
    for _ in range(50):
        n = rng.randint(0, 6)
        parts = []
        for _ in range(rng.randint(1, 4)):
            width = rng.randint(1, 4)
            ids = torch.randint(0, 9, (n, width))
            parts.append((ids, torch.randint(0, width + 1, (n,))))
        rows = [sum((ids[i, : int(k[i])].tolist() for ids, k in parts), []) for i in range(n)]
        ours, theirs = concat_padded(parts, IGNORE), pad_sequences(rows, IGNORE)
        assert torch.equal(ours[0], theirs[0]) and torch.equal(ours[1], theirs[1])


def test_the_agreement_draws_are_randoms_own() -> None:
    """cat-sat's sentences are drawn without random's argument checks, and are the same draws."""
    ours, theirs = random.Random(31), random.Random(31)
    draw = below(ours)
    for n in [1, 2, 3, 4, 6, 8, 13, 21] * 500:
        assert draw(n) == theirs.randrange(n)
    assert ours.random() == theirs.random()
