"""Where exports go, what they never replace, and one-line refusals (issue 12, findings 2 and 14).

A shared run chooses its preset's name and holds whatever files its author put in it; `--out` may
name a folder that is missing or read-only. Every refusal is exit status 2 with one line, and no
export writes outside the folder it was given or leaves a torn or temporary file behind.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch

from export_helpers import FRAMEWORKS, load_program, need, train
from rnntui import cli
from rnntui.core.fileio import atomic_write_bytes
from rnntui.core.model import SequenceModel
from rnntui.core.runs import read_checkpoint, write_checkpoint
from rnntui.core.tasks.charlm import CharLMTask
from rnntui.core.tomlwrite import spec_to_toml

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # inside keras


@pytest.fixture(scope="module")
def base_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train("hello", tmp_path_factory.mktemp("runs"))


@pytest.fixture
def run(base_run: Path, tmp_path: Path) -> Path:
    shutil.copytree(base_run, tmp_path / "box" / "run")
    return tmp_path / "box" / "run"


def renamed(run: Path, name: str) -> Path:
    cp = read_checkpoint(run / "checkpoint.pt")
    spec = dataclasses.replace(cp.spec, name=name)
    model = SequenceModel(spec.model, CharLMTask(spec.task.params, state=cp.task_state))
    model.load_state_dict(cp.model_state)
    write_checkpoint(run / "checkpoint.pt", spec, cp.task_state, model, None, cp.step)
    atomic_write_bytes(run / "spec.toml", spec_to_toml(spec).encode("utf-8"))
    return run


def refusal(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """`rnntui ARGV` must exit 2 with exactly one line on stderr; returns it."""
    capsys.readouterr()
    try:
        rc = cli.main(argv)
    except SystemExit as exc:  # argparse
        rc = exc.code
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, (rc, err)
    return err.strip()


def files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*")}


@pytest.mark.parametrize("name", ["../../escaped", "/ABSOLUTE", "..", ".hidden", "a/../../b", "\x1b[31m"])
def test_default_names_stay_in_the_run_directory(name, run, tmp_path):
    """Finding 2: the preset's name was the file name, so `../x` or `/abs` wrote anywhere."""
    if name == "/ABSOLUTE":
        name = str(tmp_path / "absolute")
    renamed(run, name)
    before = files(tmp_path)
    assert cli.main(["export", str(run), "--format", "pytorch"]) == 0
    new = files(tmp_path) - before
    assert new and all(p.parent == run and not p.name.startswith(".") for p in new), new


def test_an_existing_file_is_replaced_only_with_force(run, capsys):
    """Finding 2: a second export silently overwrote the first (and anything the run's author put there)."""
    assert cli.main(["export", str(run), "--format", "csv"]) == 0
    target = run / "metrics.csv"
    target.write_text("mine")
    assert refusal(["export", str(run), "--format", "csv"], capsys) == (
        f"rnntui: error: {target} exists; use --force to replace it"
    )
    assert target.read_text() == "mine"
    assert cli.main(["export", str(run), "--format", "csv", "--force"]) == 0
    assert target.read_text().startswith("step,loss")


def test_a_link_planted_in_a_shared_run_is_never_written_through(run, tmp_path, capsys):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (run / "hello_pytorch.py").symlink_to(victim)
    refusal(["export", str(run), "--format", "pytorch"], capsys)
    assert cli.main(["export", str(run), "--format", "pytorch", "--force"]) == 0
    assert victim.read_text() == "precious" and not (run / "hello_pytorch.py").is_symlink()


def writable(folder: Path) -> bool:
    try:
        fd, name = tempfile.mkstemp(dir=folder)
    except OSError:
        return False
    os.close(fd)
    os.unlink(name)
    return True


def test_out_into_a_missing_or_unwritable_folder_is_one_line(run, tmp_path, capsys):
    """Finding 14: `export --out` into a missing or unwritable folder was a traceback."""

    def out(fmt: str, path: Path | str) -> str:
        return refusal(["export", str(run), "--format", fmt, "--out", str(path)], capsys)

    assert "does not exist" in out("csv", tmp_path / "no" / "m.csv")
    (tmp_path / "file").write_text("")
    assert "not a folder" in out("jsonl", tmp_path / "file" / "m")
    if Path("/sys").is_dir() and not writable(Path("/sys")):  # read-only even for root
        assert "cannot write /sys/m.npz: Permission denied" in out("keras", "/sys/m.py")  # the weights come first
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if not writable(locked):  # root writes anywhere
        assert "Permission denied" in out("csv", locked)


def test_a_failed_write_leaves_no_file_and_no_temporary(run, monkeypatch, capsys):
    """Atomic writes: a full disk during the export leaves the folder as it was."""
    before = files(run)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    assert "No space left on device" in refusal(["export", str(run), "--format", "pytorch"], capsys)
    assert files(run) == before


def test_a_disk_that_fills_up_between_the_weights_and_the_program_leaves_neither(run, tmp_path, monkeypatch, capsys):
    """Nearly full: the weights fit, the program does not. A program's weights without the program (or
    the other way) is no export: all of its files are written, or none (and no temporary either)."""
    real_fsync, calls = os.fsync, []

    def fills_up(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:  # the second file: the program, after its weights
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fills_up)
    out = tmp_path / "out"
    out.mkdir()
    line = refusal(["export", str(run), "--format", "pytorch", "--out", str(out / "x.py")], capsys)
    assert "No space left on device" in line and "x.py" in line
    assert list(out.iterdir()) == []


def test_cli_errors_are_one_line(run, tmp_path, capsys):
    assert "invalid choice" in refusal(["export", str(run), "--format", "tflite"], capsys)
    assert "does not exist" in refusal(["export", str(tmp_path / "nope"), "--format", "keras"], capsys)
    assert ".py program" in refusal(["export", str(run), "--format", "keras", "--out", str(tmp_path / "m.npz")], capsys)
    (run / "checkpoint.pt").unlink()
    assert "no checkpoint" in refusal(["export", str(run), "--format", "onnx"], capsys)


def test_the_paths_printed_are_visible_text(run, tmp_path, capsys):
    shared = tmp_path / "box" / "line\nbreak\x1b[2J"
    run.rename(shared)
    capsys.readouterr()
    assert cli.main(["export", str(shared), "--format", "pytorch", "--out", str(tmp_path / "p.py")]) == 0
    assert cli.main(["export", str(shared), "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == [str(tmp_path / "p.py"), str(tmp_path / "p.pt")]
    assert out[2].endswith("line␤break␛[2J/metrics.csv") and len(out) == 3


@pytest.mark.parametrize("fmt", ["pytorch", "keras", "onnx"])
def test_bad_input_to_every_program_is_one_line(fmt, base_run, tmp_path, capsys):
    """Issue 17: an empty prefix, an unknown token, a bad option or missing weights: exit 2, one line."""
    need(*FRAMEWORKS[fmt])
    assert cli.main(["export", str(base_run), "--format", fmt, "--out", str(tmp_path / "m.py")]) == 0
    module = load_program(tmp_path / "m.py")
    for argv, why in [
        ([""], "non-empty prefix"),
        (["HELL?"], "not in the vocabulary: '?'"),
        (["HELL", "--top", "0"], "--top"),
        (["HELL", "--weights-dir", str(tmp_path / "empty")], "cannot load"),
        (["HELL", "--what"], "unrecognized"),
    ]:
        capsys.readouterr()
        try:
            rc = module.main(argv)
        except SystemExit as exc:
            rc = exc.code
        err = capsys.readouterr().err
        assert rc == 2 and len(err.splitlines()) == 1 and why in err, (argv, err)
    if fmt == "pytorch":  # and as a process: no traceback
        bad = subprocess.run([sys.executable, "-I", str(tmp_path / "m.py"), "HELL\x07"], capture_output=True, text=True)
        assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr


class Payload:
    def __reduce__(self):  # unpickling this would call the function: a file that runs code when loaded
        return (Path("PWNED-weights").touch, ())


@pytest.mark.parametrize("fmt", ["pytorch", "keras"])
def test_weights_that_would_run_code_are_refused(fmt, base_run, tmp_path, monkeypatch, capsys):
    """The programs load weights as data only: torch.load(weights_only=True), np.load(allow_pickle=False)."""
    if fmt == "keras":
        need("keras")
    assert cli.main(["export", str(base_run), "--format", fmt, "--out", str(tmp_path / "m.py")]) == 0
    weights = tmp_path / ("m.pt" if fmt == "pytorch" else "m.npz")
    if fmt == "pytorch":
        torch.save({"embed.weight": Payload()}, weights)
    else:
        np.savez(weights, **{"embed.weight": np.array([Payload()], dtype=object)})
    monkeypatch.chdir(tmp_path)
    module = load_program(tmp_path / "m.py")
    # The fingerprint of the export would refuse this file first: it is the loader under test here.
    module.DATA["sha256"] = {"network": hashlib.sha256(weights.read_bytes()).hexdigest()}
    capsys.readouterr()
    assert module.main(["HELL"]) == 2
    assert "cannot load the weights" in capsys.readouterr().err and not (tmp_path / "PWNED-weights").exists()
