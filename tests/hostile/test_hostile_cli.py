"""Findings 14 and 16: environment errors and absurd settings are user errors (exit 2, one line)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from hostile_util import cli, one_error, rnntui, trained


def folders(base: Path) -> list[Path]:
    return [p for p in base.iterdir() if p.is_dir()] if base.exists() else []


def test_a_runs_folder_that_cannot_be_created_is_one_line(tmp_path, capsys, monkeypatch) -> None:
    line = one_error(*cli(capsys, "train", "hello", "--steps", "1", "--runs-dir", "/dev/null/runs")[::2])
    assert "cannot create a run directory" in line and "not a directory" in line

    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(Path, "mkdir", read_only)
    line = one_error(*cli(capsys, "train", "hello", "--steps", "1", "--runs-dir", str(tmp_path / "ro"))[::2])
    assert "read-only file system" in line


def test_a_full_disk_while_logging_is_one_line(tmp_path, capsys, monkeypatch) -> None:
    real_open = os.open

    # The metrics file is opened with os.open (O_NOFOLLOW): the disk fills up exactly there.
    def full(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if str(path).endswith("metrics.jsonl") and flags & os.O_APPEND:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", full)
    line = one_error(*cli(capsys, "train", "hello", "--steps", "3", "--runs-dir", str(tmp_path))[::2])
    assert "cannot write" in line and "no space left on device" in line


SETTINGS = [
    ("--seed", str(2**64)),
    ("--steps", "-5"),
    ("--set", "model.forget_bias=1e39"),
    ("--set", "model.recurrent_init_scale=1e30"),
    ("--set", "model.hidden_size=1000000000"),
    ("--set", "model.embedding_dim=1000000000"),
    ("--set", "train.batch_size=1000000000"),
    ("--set", "train.steps=1e300"),
    ("--set", "train.clip_norm=1e300"),
    ("--set", "task.seq_len=1000000000"),
    ("--set", "train.batch_size=65536"),  # allowed alone; with seq_len 10,000 its activations are not
]


@pytest.mark.parametrize(("flag", "value"), SETTINGS)
def test_absurd_settings_are_refused_before_a_run_folder_exists(tmp_path, capsys, flag, value) -> None:
    extra = ["--set", "task.seq_len=10000"] if value == "train.batch_size=65536" else []
    rc, _, err = cli(capsys, "train", "hello", flag, value, *extra, "--runs-dir", str(tmp_path))
    one_error(rc, err)
    assert folders(tmp_path) == []  # no orphan run folder


TASK_SETTINGS = [
    ("long-memory", "task.seq_len=1000000000"),
    ("sine", "task.seq_len=1000000000"),
    ("translate", "task.train_pairs=1000000000"),
    ("pos-tagging", "task.sentences=1000000000"),
    ("cat-sat", "task.sentences=1000000000"),
    ("doubling", "task.max_start=1000000000"),
    ("doubling", "task.length=1000000000"),
    ("sentiment", "task.held_out=0"),
]


@pytest.mark.parametrize(("preset", "setting"), TASK_SETTINGS)
def test_absurd_task_settings_are_refused_at_once(tmp_path, capsys, preset, setting) -> None:
    # Measured before: 10**9 sentences filled memory, a sequence of 10**9 steps asked for 256 GB.
    one_error(*cli(capsys, "train", preset, "--set", setting, "--steps", "1", "--runs-dir", str(tmp_path))[::2])
    assert folders(tmp_path) == []


def test_settings_that_allow_few_sentences_do_not_loop_forever(tmp_path, capsys) -> None:
    # max_distractors=0 allows 16 distinct sentences: the generator looked for 22,000 forever.
    rc, _, err = cli(
        capsys, "train", "cat-sat", "--set", "task.max_distractors=0", "--steps", "2", "--runs-dir", str(tmp_path)
    )
    assert rc == 0, err


@pytest.mark.parametrize("temperature", ["1e-300", "1e300", "nan", "-1", "inf"])
def test_predict_temperatures_that_overflow_are_refused(tmp_path, capsys, temperature) -> None:
    run = trained(tmp_path)
    args = ("predict", str(run.path), "HEL", "--generate", "5", "--temperature", temperature)
    assert "--temperature must be between" in one_error(*cli(capsys, *args)[::2])
    assert "--seed" in one_error(*cli(capsys, "predict", str(run.path), "HEL", "--seed", str(2**64))[::2])


def test_resume_with_negative_steps_is_refused(tmp_path, capsys) -> None:
    run = trained(tmp_path)
    assert "train.steps" in one_error(*cli(capsys, "resume", str(run.path), "--steps", "-5")[::2])


def test_the_app_without_a_terminal_says_so_at_once() -> None:
    out = rnntui(timeout=60)  # stdin from /dev/null, stdout a pipe
    assert out.returncode == 2, (out.returncode, out.stderr[-500:])
    assert out.stderr.strip() == "rnntui: error: rnntui needs a terminal; use `rnntui train …` for headless work"


def test_textual_serve_s_web_driver_still_starts_the_app(monkeypatch, capsys) -> None:
    import rnntui.app.main as app_main

    started: list[str | None] = []
    monkeypatch.setattr(app_main, "run_app", lambda preset=None, runs_dir=None: started.append(preset) or 0)
    monkeypatch.setenv("TEXTUAL_DRIVER", "textual.drivers.web_driver:WebDriver")  # set by textual-serve
    rc, _, err = cli(capsys, "--preset", "hello")
    assert rc == 0 and started == ["hello"], err


def test_a_real_subprocess_error_is_one_line(tmp_path) -> None:
    out = rnntui("train", "hello", "--set", "model.forget_bias=1e39", "--runs-dir", str(tmp_path), timeout=60)
    one_error(out.returncode, out.stderr)
    assert not os.listdir(tmp_path)  # the spec was refused before a run folder was made


@pytest.mark.parametrize(("command", "rest"), [("resume", []), ("predict", ["HELL"]), ("export", ["--format", "csv"])])
def test_a_run_path_that_is_not_a_folder_is_said_so(command, rest, tmp_path, capsys) -> None:
    """`rnntui resume /dev/null` said "does not exist"; it exists, it is not a run folder."""
    file = tmp_path / "notes.txt"
    file.write_text("x")
    for path in ("/dev/null", str(file)):
        assert f"run directory {path!r} is not a run folder" in one_error(*cli(capsys, command, path, *rest)[::2])
    assert "does not exist" in one_error(*cli(capsys, command, str(tmp_path / "nope"), *rest)[::2])
