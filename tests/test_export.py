"""Export: the standalone PyTorch script reproduces the run's predictions; Keras, CSV and JSONL."""

from __future__ import annotations

import ast
import csv
import dataclasses
import io
import json
import subprocess
import sys

import pytest

from helpers import tiny
from rnntui.core.experiment import from_checkpoint
from rnntui.core.export import export
from rnntui.core.predictor import Predictor
from rnntui.core.runs import RunDir
from rnntui.core.trainer import Trainer


def trained(tmp_path, task="char_lm", params=None, **model):
    spec = tiny(task, params if params is not None else {"seq_len": 12, "corpus": "hello", "case": "upper"}, **model)
    spec = dataclasses.replace(spec, train=dataclasses.replace(spec.train, steps=8, eval_every=4))
    run = RunDir.create(tmp_path, spec)
    Trainer(spec, run=run).run()
    return run


CASES = [
    ("char_lm", None, {"cell": "lstm", "num_layers": 2}, "HELL"),
    ("sentiment", {}, {"cell": "gru", "pattern": "many_to_one", "bidirectional": True}, "the movie was not good"),
    ("pos_tagging", {"sentences": 300}, {"cell": "lstm", "bidirectional": True}, "the dog saw a Duck"),
    ("number_sequences", {}, {"cell": "rnn_tanh"}, "2 4 8, 16"),
    ("sine", {"seq_len": 20}, {"cell": "lstm", "pattern": "many_to_one"}, "0.1 0.5 0.9 x 0.3"),
    ("adding", {"seq_len": 12}, {"cell": "rnn_relu", "pattern": "many_to_one"}, "0.3 0.7* 0.1 0.5* zz"),
    ("spell_number", {}, {"cell": "gru", "pattern": "one_to_many", "num_layers": 2}, " 342 "),
    ("translate", {"train_pairs": 400}, {"cell": "lstm", "pattern": "encoder_decoder", "bidirectional": True}, "a cat"),
]


@pytest.mark.parametrize(("task", "params", "model", "prefix"), CASES, ids=[c[0] for c in CASES])
def test_pytorch_script_reproduces_the_predictions(tmp_path, task, params, model, prefix):
    run = trained(tmp_path, task, params, **model)
    script = export(str(run.path), "pytorch")
    out = subprocess.run(
        [sys.executable, str(script), str(run.checkpoint_path), prefix, "--top", "2"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [line.split("\t") for line in out.splitlines()]
    _, t, m = from_checkpoint(str(run.path))
    pred = Predictor(m, t, top_k=2).feed(prefix)
    if pred.kind in ("lm", "classify"):
        expected = pred.next if pred.kind == "lm" else pred.classes
        got = [(ast.literal_eval(tok), float(p)) for tok, p in lines]
        assert [g[0] for g in got] == [e[0] for e in expected]
        assert all(abs(g[1] - e[1]) < 1e-5 for g, e in zip(got, expected, strict=True))
    elif pred.kind == "tag":
        assert [(tag, round(float(p), 4)) for _, tag, p in lines] == [(tag, round(p, 4)) for _, tag, p in pred.tags]
    elif pred.kind == "regress":
        assert lines[0][0] == "forecast" and abs(float(lines[0][1]) - pred.forecasts[-1]) < 1e-5
    else:  # generate / seq2seq
        assert out.strip() == t.join(pred.output).strip() and pred.output
    assert "forget-gate bias" in script.read_text() or model["cell"] != "lstm"


def test_keras_csv_jsonl(tmp_path):
    run = trained(tmp_path, cell="gru", num_layers=2, dropout=0.2)
    keras = export(str(run.path), "keras").read_text()
    assert "layers.GRU(8, return_sequences=True, reset_after=True)" in keras
    assert "dropout=0.2" in keras and "cuDNN" in keras
    rows = list(csv.DictReader(io.StringIO(export(str(run.path), "csv").read_text())))
    assert [int(r["step"]) for r in rows] == list(range(1, 9))
    assert rows[3]["val_loss"] != "" and rows[0]["val_loss"] == ""
    lines = [json.loads(x) for x in export(str(run.path), "jsonl").read_text().splitlines()]
    assert [x["step"] for x in lines if x["event"] == "step"] == list(range(1, 9))


def test_keras_export_of_a_decoder_notes_the_functional_api(tmp_path):
    run = trained(tmp_path, "spell_number", {}, pattern="one_to_many")
    keras = export(str(run.path), "keras").read_text()
    assert "one_to_many" in keras and "initial_state" in keras
