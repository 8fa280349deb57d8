"""Export: the standalone PyTorch program reproduces the run's predictions (attention's weights included);
Keras, CSV and JSONL."""

from __future__ import annotations

import csv
import dataclasses
import io
import json

import pytest

from export_helpers import FRAMEWORKS, close, load_program, need, program_data, quiet_main, run_program
from helpers import tiny
from rnntui.core.experiment import from_checkpoint
from rnntui.core.export import export
from rnntui.core.outputs import Produced
from rnntui.core.predictor import Predictor
from rnntui.core.runs import RunDir, read_checkpoint
from rnntui.core.trainer import Trainer

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # inside keras


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
    ("sine", {"seq_len": 20}, {"cell": "lstm", "pattern": "many_to_one"}, "0.1 0.5 0.9 -2 0.3"),
    ("adding", {"seq_len": 12}, {"cell": "rnn_relu", "pattern": "many_to_one"}, "0.3 0.7* 0.1 0.5* 1e-1"),
    ("spell_number", {}, {"cell": "gru", "pattern": "one_to_many", "num_layers": 2}, " 342 "),
    ("translate", {"train_pairs": 400}, {"cell": "lstm", "pattern": "encoder_decoder", "bidirectional": True}, "a cat"),
]
REVERSE, ENC_DEC = {"min_len": 3, "max_len": 9}, {"pattern": "encoder_decoder"}
CASES += [  # attention: each score, each gated cell, one and two directions, one and two layers
    ("reverse", REVERSE, {**ENC_DEC, "cell": "gru", "bidirectional": True, "attention": "dot"}, "Ab cd"),
    ("reverse", REVERSE, {**ENC_DEC, "cell": "lstm", "attention": "dot", "num_layers": 2}, "hgfed"),
    ("reverse", REVERSE, {**ENC_DEC, "cell": "gru", "attention": "additive"}, "abc"),
    ("reverse", REVERSE, {**ENC_DEC, "cell": "lstm", "bidirectional": True, "attention": "additive"}, "x y z w"),
    ("translate", {"train_pairs": 400}, {**ENC_DEC, "cell": "gru", "attention": "additive"}, "the cat"),
]
IDS = [f"{c[0]}-{c[2].get('attention', '')}-{c[2].get('cell', '')}" for c in CASES]


@pytest.mark.parametrize(("task", "params", "model", "prefix"), CASES, ids=IDS)
def test_pytorch_script_reproduces_the_predictions(tmp_path, task, params, model, prefix):
    run = trained(tmp_path, task, params, **model)
    script, weights = export(str(run.path), "pytorch")
    assert weights.suffix == ".pt" and weights.parent == script.parent == run.path
    program = load_program(script)  # the exported file itself, run in this process (torch is imported once)
    rc, out = run_program(program, prefix, "--top", "2", "--json")
    _, t, m = from_checkpoint(str(run.path))
    pred = Predictor(m, t, top_k=2).feed(prefix)
    assert rc == 0
    close(json.loads(out), pred.to_json(), tol=1e-5)
    if isinstance(pred.output, Produced):
        assert pred.output.tokens
    if model.get("attention"):  # one row per step written (the end token's too), one weight per token read
        rows = json.loads(out)["attention"]
        assert len(rows) == len(pred.output.tokens) + pred.output.ended and {len(r) for r in rows} == {len(pred.tokens)}
    text = quiet_main(["predict", str(run.path), prefix, "--top", "2"])[1]
    assert run_program(program, prefix, "--top", "2")[1] == text
    assert "forget-gate bias" in script.read_text() or model["cell"] != "lstm"


@pytest.mark.parametrize("fmt", ["pytorch", "keras", "onnx"])
def test_an_attention_program_refuses_bad_input_in_one_line(fmt, tmp_path, capsys):
    """An empty prefix and characters that are no letter of the run: exit 2 and one line, in every program."""
    need(*FRAMEWORKS[fmt])
    run = trained(tmp_path, "reverse", {**REVERSE, "letters": 5}, **ENC_DEC, cell="gru", attention="dot")
    program = load_program(export(str(run.path), fmt)[0])
    for prefix, why in [("", "give a non-empty prefix"), (" \t", "give a non-empty prefix"),
                        ("ab c1 f", "not in the vocabulary: '1', 'f'")]:  # fmt: skip
        capsys.readouterr()
        assert run_program(program, prefix, "--json")[0] == 2
        (line,) = capsys.readouterr().err.splitlines()
        assert line.endswith(f"error: {why}"), line
    rc, out = run_program(program, "A b", "--json")
    assert rc == 0 and len(json.loads(out)["attention"][0]) == 2


def test_keras_csv_jsonl(tmp_path):
    run = trained(tmp_path, cell="gru", num_layers=2, dropout=0.2)
    script, weights = export(str(run.path), "keras")
    keras = script.read_text()
    assert "reset_after=True" in keras and "layers.Dropout" in keras and "cuDNN" in keras
    assert weights.suffix == ".npz" and program_data(keras)["arch"]["dropout"] == 0.2
    (metrics_csv,) = export(str(run.path), "csv")
    rows = list(csv.DictReader(io.StringIO(metrics_csv.read_text())))
    assert [int(r["step"]) for r in rows] == list(range(1, 9))
    assert rows[3]["val_loss"] != "" and rows[0]["val_loss"] == ""
    (metrics_jsonl,) = export(str(run.path), "jsonl")
    lines = [json.loads(x) for x in metrics_jsonl.read_text().splitlines()]
    assert [x["step"] for x in lines if x["event"] == "step"] == list(range(1, 9))


def test_keras_export_of_a_generator_has_the_greedy_loop(tmp_path):
    run = trained(tmp_path, "spell_number", {}, pattern="one_to_many")
    keras = export(str(run.path), "keras")[0].read_text()
    assert "one_to_many" in keras and "initial_state" in keras and "greedy decoding" in keras


def test_the_vocabulary_comes_from_the_checkpoint_not_the_data_file(tmp_path):
    text = tmp_path / "corpus.txt"
    text.write_text("abc cab bca " * 40)
    run = trained(tmp_path, params={"path": str(text), "seq_len": 8})
    text.write_text("xyz " * 100)  # the file changed after training: the run's vocabulary must not
    script, _ = export(str(run.path), "pytorch")
    chars = read_checkpoint(run.checkpoint_path).task_state["chars"]
    assert program_data(script.read_text())["input"]["vocab"] == ["<pad>", "<unk>", *chars] and "a" in chars
    text.unlink()
    rc, out = run_program(load_program(script), "abc", "--json")
    _, t, m = from_checkpoint(str(run.path))
    assert rc == 0
    close(json.loads(out), Predictor(m, t).feed("abc").to_json(), tol=1e-5)


def test_a_long_prefix_is_windowed_and_a_folder_out_keeps_the_default_name(tmp_path):
    run = trained(tmp_path)
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    script, weights = export(str(run.path), "pytorch", out=str(folder))
    assert script == folder / "tiny_pytorch.py" and weights == folder / "tiny_pytorch.pt"
    prefix = "HELLO WORLD " * 50  # 600 characters: only the last 512 are fed
    program = load_program(script)
    _, t, m = from_checkpoint(str(run.path))
    got = json.loads(run_program(program, prefix, "--json")[1])
    close(got, Predictor(m, t).feed(prefix).to_json(), tol=1e-5)
    assert got["window_start"] == 88
    assert run_program(program, prefix)[1] == quiet_main(["predict", str(run.path), prefix])[1]
