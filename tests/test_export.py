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
from rnntui.core.errors import RunError
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


@pytest.mark.parametrize(
    ("task", "params", "model"),
    [
        ("char_lm", None, {"cell": "lstm", "num_layers": 2}),
        ("sentiment", {}, {"cell": "gru", "pattern": "many_to_one", "bidirectional": True}),
    ],
)
def test_pytorch_script_reproduces_the_predictions(tmp_path, task, params, model):
    run = trained(tmp_path, task, params, **model)
    script = export(str(run.path), "pytorch")
    prefix = "HELL" if task == "char_lm" else "the movie was not good"
    out = subprocess.run(
        [sys.executable, str(script), str(run.checkpoint_path), prefix, "--top", "2"],
        capture_output=True,
        text=True,
        check=True,
    )
    got = [(ast.literal_eval(tok), float(p)) for tok, p in (line.split("\t") for line in out.stdout.splitlines())]
    _, t, m = from_checkpoint(str(run.path))
    pred = Predictor(m, t, top_k=2).feed(prefix)
    expected = pred.next if pred.kind == "lm" else pred.classes
    assert [g[0] for g in got] == [e[0] for e in expected]
    assert all(abs(g[1] - e[1]) < 1e-5 for g, e in zip(got, expected, strict=True))
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


def test_unsupported_export_is_explained(tmp_path):
    run = trained(tmp_path, "spell_number", {}, pattern="one_to_many")
    with pytest.raises(RunError, match="covers token-input"):
        export(str(run.path), "pytorch")
    assert "one_to_many" in export(str(run.path), "keras").read_text()
