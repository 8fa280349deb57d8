"""Finding 10: own data is read bounded (size, vocabulary, memory); odd files are refused by what they are."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hostile_util import cli, one_error
from rnntui.core.tasks.charlm import CharLMTask

MB = 1_000_000


def big_text(path: Path, size: int) -> Path:
    line = "the quick brown fox jumps over the lazy dog, then sleeps. 0123456789\n"
    with open(path, "w") as fh:
        fh.write(line * (size // len(line) + 1))
    return path


def test_only_the_first_20_mb_of_a_larger_text_are_used_and_the_cli_says_so(tmp_path, capsys) -> None:
    path = big_text(tmp_path / "big.txt", 21 * MB)
    task = CharLMTask({"path": str(path), "seq_len": 16})
    assert 19 * MB < len(task.text()) <= 20 * MB and task.text().endswith("\n")
    assert any("only its first" in n for n in task.notices)
    rc, out, err = cli(capsys, "train", "char-lm", "--set", f"task.path={path}", "--steps", "0", "--json")
    assert rc == 0, err
    assert "rnntui: note: task.path" in err and "the limit is 20 MB" in err


PEAK = """
import sys
from rnntui.cli import main
rc = main(sys.argv[1:])
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
sys.stderr.write(f"PEAK {int(hwm.split()[1]) // 1024}\\n")
raise SystemExit(rc)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_training_on_the_largest_text_allowed_stays_under_1_gb(tmp_path) -> None:
    path = big_text(tmp_path / "big.txt", 20 * MB)
    args = ["train", "char-lm", "--set", f"task.path={path}", "--steps", "2", "--json", "--runs-dir", str(tmp_path)]
    out = subprocess.run([sys.executable, "-c", PEAK, *args], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    peak_mb = int(out.stderr.rsplit("PEAK ", 1)[1])
    assert peak_mb <= 1000, f"peak RSS {peak_mb} MB"  # benchmarks/data_memory.py prints the breakdown


def test_the_vocabulary_keeps_the_2000_most_frequent_characters_rare_ones_read_as_unk(tmp_path, capsys) -> None:
    rare = "".join(chr(0x4E00 + i) for i in range(5000))  # 5,000 CJK characters, once each
    path = tmp_path / "many.txt"
    path.write_text(("common text, many times. " * 2000) + rare)
    task = CharLMTask({"path": str(path), "seq_len": 16})
    assert len(task.in_vocab) == 2002
    assert {c for c in "common text, many times." if c != " "} <= set(task.in_vocab.itos)
    assert any("<unk>" in n and "5,0" in n for n in task.notices)
    unknown = [t for t in task.tokenize(rare[-3:]) if t.unknown]
    assert len(unknown) >= 1 and all(t.id == task.in_vocab.unk for t in unknown)
    rc, out, err = cli(capsys, "train", "char-lm", "--set", f"task.path={path}", "--steps", "0", "--json")
    assert rc == 0 and "most frequent are kept" in err
    started = json.loads(out.splitlines()[0])
    assert started["params"] < 1_000_000


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "folder"])
def test_a_data_file_that_is_not_a_regular_file_is_refused_by_what_it_is(tmp_path, capsys, kind) -> None:
    path = tmp_path / "data.txt"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    else:
        path.mkdir()
    for preset in ("char-lm", "sine"):
        line = one_error(*cli(capsys, "train", preset, "--set", f"task.path={path}", "--steps", "1")[::2])
        assert "folder" in line if kind == "folder" else "not a regular file" in line


def test_a_csv_series_with_inf_or_over_the_size_cap_is_refused(tmp_path, capsys) -> None:
    csv = tmp_path / "s.csv"
    csv.write_text("v\n" + "\n".join(["1.5"] * 300 + ["inf"] + ["2.5"] * 300))
    line = one_error(*cli(capsys, "train", "sine", "--set", f"task.path={csv}", "--set", "task.column=v")[::2])
    assert "line 302" in line and "not a finite number" in line
    with open(csv, "w") as fh:
        fh.write("v\n" + "1.0\n" * (11 * MB))
    line = one_error(*cli(capsys, "train", "sine", "--set", f"task.path={csv}", "--set", "task.column=v")[::2])
    assert "the limit is 20 MB" in line
