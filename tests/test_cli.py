"""The command-line contract, through real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch


def rnntui(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "rnntui", *args], capture_output=True, text=True, env=full_env, cwd=cwd, timeout=300
    )


def test_version():
    out = rnntui("--version")
    assert out.returncode == 0 and out.stdout.startswith("rnntui ")


def test_presets_json_lists_name_title_pattern_cell():
    out = rnntui("presets", "--json")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    by_name = {r["name"]: r for r in rows}
    assert {"hello", "doubling", "sine", "long-memory"} <= set(by_name)
    assert by_name["hello"]["pattern"] == "many_to_many" and by_name["hello"]["cell"] == "lstm"
    assert by_name["sine"]["pattern"] == "many_to_one"
    assert all(r["title"] for r in rows)


@pytest.fixture(scope="module")
def hello_run(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    out = rnntui("train", "hello", "--steps", "150", "--device", "cpu", "--json", "--runs-dir", str(runs))
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    return lines


def test_train_json_event_stream(hello_run):
    kinds = [line["event"] for line in hello_run]
    assert kinds[0] == "started" and kinds[-1] == "finished"
    assert {"progress", "evaluated", "gradient_flow", "checkpointed"} <= set(kinds)
    fin = hello_run[-1]
    assert set(fin) >= {"event", "run_dir", "initial_loss", "final", "goal"}
    assert set(fin["final"]) == {"loss", "val_loss", "metric", "metric_name"}
    assert fin["final"]["loss"] < fin["initial_loss"]
    assert Path(fin["run_dir"], "checkpoint.pt").is_file()
    assert set(fin["goal"]) >= {"metric", "threshold", "baseline", "value", "met"}


def test_predict_puts_o_after_hell(hello_run):
    run_dir = hello_run[-1]["run_dir"]
    out = rnntui("predict", run_dir, "HELL", "--json", "--top", "3")
    assert out.returncode == 0, out.stderr
    pred = json.loads(out.stdout)
    assert pred["prefix"] == "HELL" and pred["tokens"] == ["H", "E", "L", "L"]
    assert len(pred["next"]) == 3 and pred["next"][0]["token"] == "O"
    assert set(pred["next"][0]) == {"token", "p"}


def test_predict_trace_and_generate(hello_run):
    run_dir = hello_run[-1]["run_dir"]
    out = rnntui("predict", run_dir, "HELL", "--json", "--trace", "--generate", "5", "--seed", "3")
    pred = json.loads(out.stdout)
    assert len(pred["steps"]) == 4
    step = pred["steps"][-1]
    assert step["token"] == "L" and len(step["hidden"]) == 1 and len(step["hidden"][0][0]) == 64
    assert set(step["gates"]) == {"i", "f", "g", "o"} and step["cell"] is not None
    assert len(pred["continuation"]) == 5
    text = rnntui("predict", run_dir, "HELL")
    assert text.returncode == 0 and text.stdout.split()[0] == "O"


def test_predict_trace_puts_every_step_on_the_map(hello_run):
    """--trace adds the map of the hidden state: a point per step and each axis's share of the
    validation states' variance; the same run and prefix give the same points."""
    run_dir = hello_run[-1]["run_dir"]
    first = json.loads(rnntui("predict", run_dir, "HELLO", "--json", "--trace").stdout)
    assert len(first["map"]) == len(first["steps"]) == 5
    assert all(len(point) == 2 and all(isinstance(v, float) for v in point) for point in first["map"])
    x_share, y_share = first["map_explained"]
    assert 0 < y_share <= x_share and x_share + y_share <= 1
    again = json.loads(rnntui("predict", run_dir, "HELLO", "--json", "--trace").stdout)
    assert again["map"] == first["map"]
    assert "map" not in json.loads(rnntui("predict", run_dir, "HELLO", "--json").stdout)


def test_predict_saliency_adds_one_number_per_input_token(hello_run):
    """Issue 16: `--saliency --json` says how much each typed token moves the top next token's log p."""
    run_dir = hello_run[-1]["run_dir"]
    out = rnntui("predict", run_dir, "HELLO WORL", "--saliency", "--json")
    assert out.returncode == 0, out.stderr
    pred = json.loads(out.stdout)
    assert len(pred["saliency"]) == len(pred["tokens"]) == 10
    assert max(pred["saliency"]) == 1.0 and min(pred["saliency"]) >= 0.0
    assert pred["saliency_of"] == f"log p({pred['next'][0]['token']})"
    plain = rnntui("predict", run_dir, "HE\x1bLL", "--saliency")  # a typed ESC is shown, never sent
    assert plain.returncode == 0, plain.stderr
    rows = plain.stdout.splitlines()[-5:]
    assert "\x1b" not in plain.stdout and "␛" in rows[2] and all("█" in r or "·" in r for r in rows[1:])
    assert "saliency" not in rnntui("predict", run_dir, "HELL", "--json").stdout  # only when asked


def test_hunt_command(hello_run):
    run_dir = hello_run[-1]["run_dir"]
    out = rnntui("hunt", run_dir, "HELLO WORLD HELLO", "L+", "--json", "--top", "2")
    assert out.returncode == 0, out.stderr
    assert len(json.loads(out.stdout)["units"]) == 2
    bad = rnntui("hunt", run_dir, "HELLO", "(unclosed")
    assert bad.returncode == 2 and "regular expression" in bad.stderr


def user_error(out: subprocess.CompletedProcess) -> str:
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_user_errors_exit_2_with_one_line(tmp_path):
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("title = \n[model\n")
    assert "unknown preset" in user_error(rnntui("train", "no-such-preset"))
    assert "not valid TOML" in user_error(rnntui("train", str(bad_toml)))
    assert "valid keys" in user_error(rnntui("train", "hello", "--set", "model.colour=red"))
    assert "section.key=value" in user_error(rnntui("train", "hello", "--set", "nonsense"))
    assert "see the token" in user_error(rnntui("train", "hello", "--set", "model.bidirectional=true"))
    assert "does not exist" in user_error(rnntui("predict", str(tmp_path / "missing"), "HELL"))
    assert "unknown" in user_error(rnntui("train", "hello", "--device", "tpu"))
    assert "error" in user_error(rnntui("train"))


def test_device_cuda_trains_where_there_is_a_gpu_and_is_refused_where_there_is_none(tmp_path):
    out = rnntui("train", "hello", "--device", "cuda", "--steps", "1", "--json", "--runs-dir", str(tmp_path))
    if torch.cuda.is_available():
        assert out.returncode == 0, out.stderr
        started = json.loads(out.stdout.splitlines()[0])
        assert started["event"] == "started" and started["device"].startswith("cuda")
    else:
        assert "no CUDA" in user_error(out)


def test_own_text_file_errors(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    assert "empty" in user_error(rnntui("train", "hello", "--set", f"task.path={empty}"))
    assert "binary" in user_error(rnntui("train", "hello", "--set", f"task.path={binary}"))
    assert "does not exist" in user_error(rnntui("train", "hello", "--set", f"task.path={tmp_path / 'x.txt'}"))


def test_a_run_that_diverged_exits_1_and_says_so(tmp_path):
    """`train` said exit 1 "when the run ended in an error", compared with a reason no run has: every
    run exited 0. A run that diverged did not train: a script can tell it by the status."""
    out = rnntui(
        "train",
        "exploding",
        "--set",
        "train.clip_norm=none",
        "--steps",
        "200",
        "--device",
        "cpu",
        "--json",
        "--runs-dir",
        str(tmp_path),
    )
    assert out.returncode == 1, out.stderr
    finished = json.loads(out.stdout.splitlines()[-1])
    assert finished["event"] == "finished" and finished["reason"] == "diverged"
