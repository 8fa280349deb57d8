"""An exported program predicts with the network it was exported with, or refuses in one line (issue 17).

The ONNX runner took any .onnx file with the right name: another run's graph crashed it (IndexError,
onnxruntime's InvalidArgument, ValueError from zip), and `--weights-dir` pointing at another export
of the same vocabulary silently predicted with that network. Every runner now checks its files
against the sha256 written at export time, and the ONNX runner checks each graph's inputs and
outputs against its run's sizes as well.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from export_helpers import FRAMEWORKS, load_program, need, train
from rnntui.core.export import export

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # inside keras

RUNS = {
    "hello": ("hello",),
    "hello-gru": ("hello", "model.cell=gru", "model.num_layers=2"),  # the same vocabulary
    "hello-seed": ("hello", "train.seed=7"),  # the same vocabulary and shapes: only the numbers differ
    "doubling": ("doubling",),
    "translate": ("translate",),  # a bidirectional GRU encoder and its decoder step
    "translate-lstm": ("translate", "model.cell=lstm", "model.bidirectional=false"),
    "reverse-dot": ("attention", "task.min_len=3", "task.max_len=8", "model.hidden_size=16"),
    "reverse-none": ("attention", "task.min_len=3", "task.max_len=8", "model.hidden_size=16", "model.attention=none"),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("runs")
    return {name: train(preset, base, *sets) for name, (preset, *sets) in RUNS.items()}


def exported(runs: dict[str, Path], name: str, fmt: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script, *_ = export(str(runs[name]), fmt, out=str(folder / "m.py"))
    return script


def refused(script: Path, *argv: str, capsys: pytest.CaptureFixture[str], data: dict | None = None) -> str:
    """The program run in this process must exit 2 with one line on stderr; returns it."""
    module = load_program(script)
    if data is not None:
        module.DATA.update(data)
    capsys.readouterr()
    rc = module.main(list(argv))
    err = capsys.readouterr().err
    assert rc == 2 and len(err.splitlines()) == 1, (rc, err)
    return err


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_another_runs_graph_under_this_programs_name_is_refused(runs, tmp_path, capsys) -> None:
    """Audit 17, gap 2a: doubling's graph copied over hello's (it was IndexError: list index out of range)."""
    need(*FRAMEWORKS["onnx"])
    hello = exported(runs, "hello", "onnx", tmp_path / "hello")
    doubling = exported(runs, "doubling", "onnx", tmp_path / "doubling")
    shutil.copy(doubling.with_suffix(".onnx"), hello.with_suffix(".onnx"))
    err = refused(hello, "HELL", capsys=capsys)
    assert "not the ones exported with run" in err and "m.onnx" in err
    # the same file with this program's fingerprint (a DATA line edited to match): its shapes still tell
    fingerprint = {"sha256": {"network": sha(hello.with_suffix(".onnx"))}}
    err = refused(hello, "HELL", capsys=capsys, data=fingerprint)
    assert "its output y is tensor(float)" in err and "this program's run has" in err


def test_this_runs_graph_under_another_program_is_refused(runs, tmp_path, capsys) -> None:
    """Gap 2b: doubling's program with hello's graph (it was onnxruntime's InvalidArgument … Gather)."""
    need(*FRAMEWORKS["onnx"])
    hello = exported(runs, "hello", "onnx", tmp_path / "hello")
    doubling = exported(runs, "doubling", "onnx", tmp_path / "doubling")
    shutil.copy(hello.with_suffix(".onnx"), doubling.with_suffix(".onnx"))
    assert "not the ones exported" in refused(doubling, "2 4 8", capsys=capsys)
    assert "its output y" in refused(
        doubling, "2 4 8", capsys=capsys, data={"sha256": {"network": sha(doubling.with_suffix(".onnx"))}}
    )


def test_a_decoder_from_another_export_is_refused(runs, tmp_path, capsys) -> None:
    """Gap 2c: translate's program and encoder with an LSTM translate's decoder step (it was ValueError:
    zip() argument 2 is shorter)."""
    need(*FRAMEWORKS["onnx"])
    gru = exported(runs, "translate", "onnx", tmp_path / "gru")
    lstm = exported(runs, "translate-lstm", "onnx", tmp_path / "lstm")
    decoder = gru.with_name("m.decoder.onnx")
    shutil.copy(lstm.with_name("m.decoder.onnx"), decoder)
    err = refused(gru, "a dog", capsys=capsys)
    assert "not the ones exported" in err and "m.decoder.onnx" in err
    fingerprints = {**load_program(gru).DATA["sha256"], "decoder": sha(decoder)}
    err = refused(gru, "a dog", capsys=capsys, data={"sha256": fingerprints})
    assert "its inputs are token, h, c, not token, h" in err


def test_a_decoder_without_attention_under_a_program_with_it_is_refused(runs, tmp_path, capsys) -> None:
    """The attention program's step reads the encoder's outputs and a mask: a step of the same network
    without attention has neither, and is refused by name before onnxruntime is asked to run it."""
    need(*FRAMEWORKS["onnx"])
    dot = exported(runs, "reverse-dot", "onnx", tmp_path / "dot")
    none = exported(runs, "reverse-none", "onnx", tmp_path / "none")
    assert load_program(dot).main(["abc", "--json"]) == 0
    for role in ("encoder", "decoder"):
        shutil.copy(none.with_name(f"m.{role}.onnx"), dot.with_name(f"m.{role}.onnx"))
    fingerprints = {role: sha(dot.with_name(f"m.{role}.onnx")) for role in ("encoder", "decoder")}
    err = refused(dot, "abc", capsys=capsys, data={"sha256": fingerprints})
    assert "m.encoder.onnx: its outputs are h, not h, memory" in err


@pytest.mark.parametrize("other", ["hello-gru", "hello-seed"])
@pytest.mark.parametrize("fmt", ["onnx", "keras", "pytorch"])
def test_weights_dir_of_another_export_with_the_same_vocabulary_is_refused(fmt, other, runs, tmp_path, capsys) -> None:
    """Gap 2d: hello's ONNX program given a 2-layer GRU hello's folder predicted with that network,
    silently; so did every runner given the weights of the same network trained with another seed."""
    need(*FRAMEWORKS[fmt])
    hello = exported(runs, "hello", fmt, tmp_path / "hello")
    foreign = exported(runs, other, fmt, tmp_path / "other")
    assert "not the ones exported" in refused(hello, "HELL", "--weights-dir", str(foreign.parent), capsys=capsys)
    same = exported(runs, "hello", fmt, tmp_path / "again")  # the same run exported again: the same bytes
    assert load_program(hello).main(["HELL", "--weights-dir", str(same.parent), "--top", "1"]) == 0


def test_a_mismatched_graph_is_one_line_from_the_command_line(runs, tmp_path) -> None:
    need(*FRAMEWORKS["onnx"])
    hello = exported(runs, "hello", "onnx", tmp_path / "hello")
    doubling = exported(runs, "doubling", "onnx", tmp_path / "doubling")
    done = subprocess.run(
        [sys.executable, "-I", str(hello), "HELL", "--weights-dir", str(doubling.parent)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
