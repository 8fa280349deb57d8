"""Resume continues the exact curve; compared variants share seed, batches and data order."""

from __future__ import annotations

import dataclasses
import json

from helpers import tiny
from rnntui.core import events as ev
from rnntui.core.compare import compare, parse_vary, variants
from rnntui.core.runs import RunDir
from rnntui.core.trainer import Trainer
from test_cli import rnntui


def losses(events: list[ev.Event]) -> dict[int, float]:
    return {p.step: p.loss for e in events if isinstance(e, ev.Progress) for p in e.points}


def spec20():
    spec = tiny("char_lm", {"seq_len": 12}, num_layers=2, dropout=0.3)  # dropout: the RNG must resume too
    return dataclasses.replace(spec, train=dataclasses.replace(spec.train, steps=20, eval_every=7))


def test_resume_continues_the_exact_curve(tmp_path):
    spec = spec20()
    straight: list[ev.Event] = []
    Trainer(spec).run(on_event=straight.append)

    run = RunDir.create(tmp_path, spec)
    first: list[ev.Event] = []
    Trainer(spec, run=run).run(on_event=first.append, steps=10)
    resumed = Trainer.resume(run)
    assert resumed.step_count == 10
    second: list[ev.Event] = []
    resumed.run(on_event=second.append)
    expected = losses(straight)
    assert losses(first) == {s: expected[s] for s in range(1, 11)}
    assert losses(second) == {s: expected[s] for s in range(11, 21)}
    records, _ = run.read_metrics()
    steps = [r["step"] for r in records if r["event"] == "step"]
    assert steps == list(range(1, 21)), "metrics append to the same file and the curve continues"
    assert {"event": "resumed", "step": 10} in records


def test_identical_variants_start_identically_and_different_ones_share_batches(tmp_path):
    spec = dataclasses.replace(spec20(), train=dataclasses.replace(spec20().train, steps=3))
    items = variants(spec, ["train.lr=0.001", "train.lr=0.001", "model.cell=gru"])
    seen: dict[str, list] = {}
    results = compare(items, runs_dir=tmp_path, on_event=lambda label, e: seen.setdefault(label, []).append(e))
    assert results[0].first_loss == results[1].first_loss
    assert [r.steps for r in results] == [3, 3, 3]
    assert len(list(tmp_path.iterdir())) == 3
    # The same data order: each variant's trainer asks the task for the batch of (seed, step).
    t1, t2 = Trainer(items[0].spec), Trainer(items[2].spec)
    for step in range(3):
        a = t1.task.train_batch(step, 4, spec.train.seed)
        b = t2.task.train_batch(step, 4, spec.train.seed)
        assert a.x.equal(b.x) and a.y.equal(b.y)


def test_parse_vary():
    assert parse_vary("model.num_layers=1,3") == ["model.num_layers=1", "model.num_layers=3"]


def test_compare_and_resume_commands(tmp_path):
    out = rnntui("compare", "hello", "--cells", "rnn_tanh,gru", "--steps", "20", "--json", "--runs-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["variant"] for r in rows] == ["model.cell=rnn_tanh", "model.cell=gru"]
    assert all(r["steps"] == 20 for r in rows)
    again = rnntui("resume", rows[0]["run_dir"], "--steps", "30", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout.splitlines()[-1])["step"] == 30
    done = rnntui("resume", rows[0]["run_dir"], "--steps", "30")
    assert done.returncode == 2 and "already at step 30" in done.stderr
    one = rnntui("compare", "hello", "--cells", "gru")
    assert one.returncode == 2 and "two or more" in one.stderr
