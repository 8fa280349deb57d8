"""Finding 7: a broken run folder is listed as unreadable with its reason; everything else works."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from hostile_util import cli, one_error, trained
from rnntui.core.export import metrics_csv
from rnntui.core.run_list import list_runs
from rnntui.core.runs import RunDir

BROKEN_RUN_JSON = {
    "list": b"[1]",
    "created-1e300": b'{"status": "complete", "created": 1e300, "step": 3}',
    "goal-high": b'{"status": "complete", "step": 3, "goal": {"metric": "accuracy", "value": "high"}}',
    "step-text": b'{"status": "complete", "step": "three"}',
    "status-odd": b'{"status": {"nested": true}}',
    "garbage": b"\x00\xff\xfe not json",
    "deep": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.fixture()
def runs_dir(tmp_path: Path) -> Path:
    base = tmp_path / "runs"
    good = trained(base)
    for name, data in BROKEN_RUN_JSON.items():
        copy = base / f"0-{name}"
        shutil.copytree(good.path, copy)
        (copy / "run.json").write_bytes(data)
    zero = base / "0-dev-zero"
    shutil.copytree(good.path, zero)
    (zero / "run.json").unlink()
    (zero / "run.json").symlink_to("/dev/zero")
    fifo = base / "0-fifo"
    shutil.copytree(good.path, fifo)
    (fifo / "run.json").unlink()
    os.mkfifo(fifo / "run.json")
    return base


def test_malformed_run_json_is_listed_as_unreadable_and_the_good_run_still_lists(runs_dir, capsys) -> None:
    runs, problems = list_runs(runs_dir)  # what the app's Runs view reads
    assert len(runs) == 1 and len(problems) == len(BROKEN_RUN_JSON) + 2
    assert all("unreadable" in p for p in problems)
    rc, out, err = cli(capsys, "runs", "--json", "--runs-dir", str(runs_dir))
    assert rc == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    good = [r for r in rows if "unreadable" not in r]
    assert len(good) == 1 and good[0]["status"] == "complete" and good[0]["steps"] == 3
    unreadable = {Path(r["run_dir"]).name: r["unreadable"] for r in rows if "unreadable" in r}
    assert set(unreadable) == {f"0-{n}" for n in BROKEN_RUN_JSON} | {"0-dev-zero", "0-fifo"}
    assert "created" in unreadable["0-created-1e300"]
    assert "goal.value" in unreadable["0-goal-high"]
    assert "regular file" in unreadable["0-dev-zero"] and "regular file" in unreadable["0-fifo"]


def test_the_runs_table_shows_every_column_and_each_unreadable_run(runs_dir, capsys) -> None:
    rc, out, err = cli(capsys, "runs", "--runs-dir", str(runs_dir))
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0].split() == [
        "name",
        "cell",
        "dir",
        "layers",
        "hidden",
        "steps",
        "metric",
        "goal",
        "date",
        "status",
        "run",
    ]
    assert lines[1].split()[:6] == ["tiny", "LSTM", "uni", "1", "8", "3"]
    assert sum("unreadable:" in line for line in lines) == len(BROKEN_RUN_JSON) + 2


def test_torn_garbage_and_ill_typed_metrics_lines_are_skipped(tmp_path) -> None:
    run = trained(tmp_path / "runs")
    with open(run.metrics_path, "ab") as fh:
        fh.write(b"[1]\n")
        fh.write(b'{"event": "step", "step": "x", "loss": 1}\n')
        fh.write(b'{"event": "step", "step": 4}\n')  # no loss: the CSV export indexed it
        fh.write(b'{"event": "evaluated", "step": -1}\n')
        fh.write(b"x" * 3_000_000 + b"\n")  # a line longer than any record
        fh.write(b'{"event": "step", "step": 5, "lo')  # a run killed mid-write
    records, warnings = run.read_metrics()
    assert [r["step"] for r in records if r["event"] == "step"] == [1, 2, 3]
    assert len(warnings) == 6
    metrics_csv(run)  # readers of the records see only checked ones
    run.append_metrics([{"event": "step", "step": 4, "loss": 1.0, "grad_norm": 1.0, "clipped": False, "lr": 0.1}])
    records, _ = run.read_metrics()
    assert [r["step"] for r in records if r["event"] == "step"] == [1, 2, 3, 4]  # not glued to the torn line


def test_a_finished_run_without_its_checkpoint_is_unreadable_and_predict_says_so(tmp_path, capsys) -> None:
    run = trained(tmp_path / "runs")
    run.checkpoint_path.unlink()
    runs, problems = list_runs(tmp_path / "runs")
    assert runs == [] and "no checkpoint.pt" in problems[0]
    assert "no checkpoint" in one_error(*cli(capsys, "predict", str(run.path), "HEL")[::2])


def test_a_spec_toml_that_disagrees_with_the_checkpoint_is_reported(tmp_path, capsys) -> None:
    run = trained(tmp_path / "runs")
    spec = run.path / "spec.toml"
    spec.write_text(spec.read_text().replace("hidden_size = 8", "hidden_size = 16"))
    runs, problems = list_runs(tmp_path / "runs")
    assert runs == [] and "spec.toml was changed" in problems[0]
    assert "disagrees with the checkpoint" in one_error(*cli(capsys, "predict", str(run.path), "HEL")[::2])
    assert "disagrees with the checkpoint" in one_error(*cli(capsys, "resume", str(run.path), "--steps", "9")[::2])


def test_a_run_folder_name_with_control_characters_is_shown_visibly(tmp_path, capsys) -> None:
    run = trained(tmp_path / "runs")
    odd = run.path.with_name("x\x1b]0;pwned\x07y")
    run.path.rename(odd)
    (odd / "run.json").write_text("[1]")
    rc, out, err = cli(capsys, "runs", "--runs-dir", str(tmp_path / "runs"))
    assert rc == 0 and "\x1b" not in out and "\x07" not in out and "x␛]0;pwned␇y" in out
    assert RunDir(odd).status() == {}
