"""Finding 13: a second Ctrl+C while the run is saving is said and ignored; the checkpoint is complete."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from rnntui.core.runs import RunDir


@pytest.mark.parametrize("as_json", [True, False])
def test_two_ctrl_c_50_ms_apart_stop_save_a_complete_checkpoint_and_say_stopped(tmp_path, as_json) -> None:
    # A wide network so that the evaluation and save after the first Ctrl+C take longer than 50 ms.
    args = ["train", "hello", "--steps", "100000", "--set", "model.hidden_size=512", "--runs-dir", str(tmp_path)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "rnntui", *args, *(["--json"] if as_json else [])],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        if as_json:
            for line in proc.stdout:
                if json.loads(line)["event"] == "progress":  # training has started
                    break
        else:
            deadline = time.monotonic() + 120
            while not list(tmp_path.glob("*/metrics.jsonl")) and time.monotonic() < deadline:
                time.sleep(0.05)  # the run writes its first steps
        proc.send_signal(signal.SIGINT)
        time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, err[-3000:]
    assert "Traceback" not in err and "saving the run, one moment" in err
    (folder,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    run = RunDir(folder)
    assert run.status()["status"] == "stopped"
    cp = run.load()  # complete: it loads and every tensor matches the spec
    assert cp.step == run.status()["step"] > 0
    assert not list(folder.glob(".*.tmp"))
