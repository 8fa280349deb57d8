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
    # One sequence a batch: a step takes milliseconds, so the first Ctrl+C is handled at once (two
    # signals that arrive within one long C call reach Python as one), while the evaluation of 512
    # held-out sequences after it takes ~0.6 s here: the second Ctrl+C lands in the stop and save.
    args = ["train", "char-lm", "--steps", "100000", "--set", "train.batch_size=1", "--runs-dir", str(tmp_path)]
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
        else:  # the progress bar is not JSON: wait for the run's first steps in its metrics instead
            deadline = time.monotonic() + 120
            while not any('"event": "step"' in p.read_text() for p in tmp_path.glob("*/metrics.jsonl")):
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.05)
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
