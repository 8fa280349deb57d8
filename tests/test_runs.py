from __future__ import annotations

import json
import os
import pickle

import pytest
import torch

from helpers import tiny
from rnntui.core import checkpoint as checkpoint_mod
from rnntui.core.experiment import from_checkpoint
from rnntui.core.runs import RunDir, RunError, read_checkpoint
from rnntui.core.trainer import Trainer


def trained_run(tmp_path, steps=3):
    spec = tiny("char_lm", {"seq_len": 12})
    run = RunDir.create(tmp_path / "runs", spec)
    trainer = Trainer(spec, run=run)
    trainer.run(steps=steps)
    return run, trainer


def test_run_directory_layout_and_round_trip(tmp_path):
    run, trainer = trained_run(tmp_path)
    assert {"spec.toml", "metrics.jsonl", "run.json", "checkpoint.pt"} <= {p.name for p in run.path.iterdir()}
    assert run.status()["status"] == "complete"
    records, warnings = run.read_metrics()
    assert [r["step"] for r in records if r["event"] == "step"] == [1, 2, 3]
    assert not warnings
    spec, task, model = from_checkpoint(str(run.path))
    assert spec == trainer.spec
    for (k, a), (_, b) in zip(model.state_dict().items(), trainer.model.state_dict().items(), strict=True):
        assert torch.equal(a, b.cpu()), k
    cp = run.load()
    assert cp.step == 3 and cp.optimizer_state is not None and cp.task_state["chars"]


def test_interrupted_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    run, trainer = trained_run(tmp_path)
    before = run.checkpoint_path.read_bytes()

    def broken_save(obj, fh):
        fh.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint_mod.torch, "save", broken_save)
    with pytest.raises(RunError, match="disk full"):  # one line a person can act on
        trainer.checkpoint()
    assert run.checkpoint_path.read_bytes() == before
    assert [p.name for p in run.path.iterdir() if p.name.endswith(".tmp")] == []
    read_checkpoint(run.checkpoint_path)  # still loads


class Exploit:
    def __reduce__(self):
        return (os.system, (f"touch {EXPLOIT_MARK}",))


EXPLOIT_MARK = "/tmp/rnntui-exploit-ran"


def test_a_pickle_that_would_run_code_is_refused_without_running_it(tmp_path):
    if os.path.exists(EXPLOIT_MARK):
        os.unlink(EXPLOIT_MARK)
    run, _ = trained_run(tmp_path)
    torch.save({"format": "rnntui-checkpoint", "version": 1, "payload": Exploit()}, run.checkpoint_path)
    with pytest.raises(RunError, match="not a valid rnntui checkpoint"):
        read_checkpoint(run.checkpoint_path)
    assert not os.path.exists(EXPLOIT_MARK)
    with open(run.checkpoint_path, "wb") as fh:
        pickle.dump(Exploit(), fh)
    with pytest.raises(RunError):
        read_checkpoint(run.checkpoint_path)
    assert not os.path.exists(EXPLOIT_MARK)


def test_garbage_and_other_versions_get_clear_errors(tmp_path):
    run, _ = trained_run(tmp_path)
    run.checkpoint_path.write_bytes(b"this is not a checkpoint")
    with pytest.raises(RunError, match="not a valid rnntui checkpoint"):
        read_checkpoint(run.checkpoint_path)
    torch.save({"format": "rnntui-checkpoint", "version": 99}, run.checkpoint_path)
    with pytest.raises(RunError, match="format 99"):
        read_checkpoint(run.checkpoint_path)
    with pytest.raises(RunError, match="does not exist"):
        RunDir.open(tmp_path / "nowhere")


def test_damaged_metrics_lines_are_skipped_with_a_warning(tmp_path):
    run, _ = trained_run(tmp_path)
    with open(run.metrics_path, "a") as fh:
        fh.write('{"event": "step", "step": 4, "lo')  # a run killed mid-write
    records, warnings = run.read_metrics()
    assert len([r for r in records if r["event"] == "step"]) == 3
    assert warnings and "damaged" in warnings[0]
    json.loads(run.path.joinpath("run.json").read_text())
