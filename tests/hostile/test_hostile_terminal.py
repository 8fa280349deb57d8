"""Terminal escapes from data never reach the terminal raw from the headless commands (issue 12,
finding 4): `presets`, `train`, `predict --generate` and `hunt` show them as visible symbols, and
`--json` keeps the exact data (as JSON escapes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rnntui.cli import main

ESC_TITLE = "pwn\x1b]0;owned\x07\x1b[2J\x9b31m\u202eend"


def raw_controls(out: str) -> list[str]:
    return [c for c in out if (ord(c) < 0x20 and c not in "\n") or 0x7F <= ord(c) < 0xA0 or c == "\u202e"]


def hostile_preset(folder: Path, name: str = "esc\x1b[31mname") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "esc.toml"
    path.write_text(
        f"name = {json.dumps(name, ensure_ascii=False)}\ntitle = {json.dumps(ESC_TITLE, ensure_ascii=False)}\n"
        '[task]\nname = "char_lm"\ncorpus = "hello"\nseq_len = 12\ncase = "upper"\n'
        "[model]\nhidden_size = 8\nembedding_dim = 4\n[train]\nsteps = 3\nbatch_size = 4\neval_every = 2\n"
        'device = "cpu"\n',
        encoding="utf-8",
    )
    return path


def test_presets_list_shows_escapes_and_json_keeps_them(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("RNNTUI_PRESETS_DIR", str(tmp_path / "presets"))
    hostile_preset(tmp_path / "presets")
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert raw_controls(out) == [] and "pwn␛]0;owned␇␛[2J" in out
    assert main(["presets", "--json"]) == 0
    out = capsys.readouterr().out
    assert raw_controls(out) == []
    titles = [json.loads(line).get("title") for line in out.splitlines()]
    assert ESC_TITLE in titles  # the exact data


def test_train_output_shows_escapes(tmp_path, monkeypatch) -> None:
    preset = hostile_preset(tmp_path / "p")
    env = {"RNNTUI_RUNS_DIR": str(tmp_path / "runs"), "RNNTUI_PRESETS_DIR": str(tmp_path / "none")}
    proc = subprocess.run(
        [sys.executable, "-m", "rnntui", "train", str(preset)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, **env},
    )
    assert proc.returncode == 0, proc.stderr
    assert raw_controls(proc.stdout + proc.stderr) == []
    assert "esc␛[31mname" in proc.stdout


@pytest.fixture
def escape_text_run(tmp_path, monkeypatch, capsys) -> str:
    """A char LM trained on a file full of ESC and BEL: its vocabulary holds them."""
    text = tmp_path / "esc.txt"
    text.write_text("ab\x1b[2Jc\x07 de\x9bf " * 60, encoding="utf-8")
    runs = tmp_path / "runs"
    code = main(
        [
            "train",
            "char-lm",
            "--steps",
            "3",
            "--set",
            f"task.path={text}",
            "--set",
            "model.hidden_size=8",
            "--set",
            "train.batch_size=4",
            "--set",
            "task.seq_len=8",
            "--set",
            "train.tbptt=none",
            "--device",
            "cpu",
            "--runs-dir",
            str(runs),
            "--json",
        ]
    )
    assert code == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    return lines[-1]["run_dir"]


def test_predict_generate_shows_escapes_and_json_keeps_them(escape_text_run, capsys) -> None:
    assert main(["predict", escape_text_run, "ab\x1b", "--generate", "30", "--top", "8"]) == 0
    out = capsys.readouterr().out
    assert raw_controls(out) == [] and "ab␛" in out
    assert main(["predict", escape_text_run, "ab\x1b", "--generate", "30", "--json", "--top", "8"]) == 0
    out = capsys.readouterr().out
    assert raw_controls(out) == []
    data = json.loads(out)
    assert data["prefix"] == "ab\x1b" and "\x1b" in data["tokens"]


def test_hunt_output_and_errors_show_escapes(escape_text_run, capsys) -> None:
    text = "ab\x9bde\x1bf ab"
    assert main(["hunt", escape_text_run, text, "b", "--json"]) == 0
    out = capsys.readouterr().out
    assert raw_controls(out) == [] and json.loads(out)["text"] == text  # C1 is legal raw JSON: escaped
    assert main(["hunt", escape_text_run, "ab\x1bcd", "(\x1b[31m"]) == 2
    err = capsys.readouterr().err
    assert raw_controls(err) == [] and err.count("\n") == 1 and "invalid" in err
