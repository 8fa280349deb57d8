"""The app's trainer in a child process: same training, exact pause and step, clean endings."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
import torch

from rnntui.core import events as ev
from rnntui.core.presets import resolve
from rnntui.core.runs import RunDir
from rnntui.core.spec import set_value
from rnntui.core.trainer import Trainer
from rnntui.core.trainer_child import Order
from rnntui.core.trainer_process import TrainerProcess, TrainerProcessError


def hello():
    return set_value(resolve("hello"), "train", "device", "cpu")


def until(cond, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


class Seen:
    """Collects what the reader thread delivers."""

    def __init__(self) -> None:
        self.events: list[ev.Event] = []
        self.weights: list[dict[str, torch.Tensor]] = []
        self.lost: list[str] = []
        self.lock = threading.Lock()

    def kw(self) -> dict:
        return {"on_event": self.events.append, "on_weights": self.weights.append, "on_lost": self.lost.append}

    def steps(self) -> list[int]:
        return [p.step for e in list(self.events) if isinstance(e, ev.Progress) for p in e.points]


def test_the_child_trains_exactly_like_a_trainer_here():
    seen = Seen()
    tp = TrainerProcess(Order(spec=hello()), **seen.kw())
    try:
        reference = Trainer(hello())
        assert tp.params == reference.model.param_count() and tp.pid != os.getpid()
        for k, v in reference.cpu_state().items():  # the same seeded initial weights
            assert torch.equal(tp.initial_weights[k], v), k
        for _ in range(3):
            assert tp.step()
            reference.step()
        assert tp.step_count == 3 and seen.steps() == [1, 2, 3]
        for k, v in reference.cpu_state().items():
            assert torch.allclose(seen.weights[-1][k], v, atol=1e-6), k
    finally:
        tp.close()
    assert not tp.alive and seen.lost == []


def test_pause_is_exact_a_paused_step_is_one_step_and_nothing_is_lost(tmp_path):
    seen = Seen()
    spec = hello()
    tp = TrainerProcess(Order(spec=spec), **seen.kw())
    try:
        tp.run(0.1, RunDir.create(tmp_path, spec))
        until(lambda: tp.step_count > 10)
        assert tp.pause()
        paused_at = tp.step_count
        time.sleep(0.3)
        assert tp.step_count == paused_at and max(seen.steps()) == paused_at
        assert tp.step() and tp.step_count == paused_at + 1
        tp.resume()
        until(lambda: tp.step_count > paused_at + 5)
        tp.stop()
        assert tp.wait_idle(30) and not tp.running
    finally:
        tp.close()
    finished = seen.events[-1]
    assert isinstance(finished, ev.Finished) and finished.reason == "stopped"
    assert seen.steps() == list(range(1, finished.step + 1))
    run = RunDir(tp.run_dir.path)
    assert run.status()["status"] == "stopped" and run.load().step == finished.step
    records, _ = run.read_metrics()
    assert [r["step"] for r in records if r["event"] == "step"] == list(range(1, finished.step + 1))


def test_a_trainer_the_child_cannot_build_is_an_error_that_says_why(tmp_path):
    with pytest.raises(TrainerProcessError, match="does not exist|no checkpoint|not found"):
        TrainerProcess(Order(resume=str(tmp_path / "missing-run")))


def test_a_killed_child_is_reported_and_nothing_waits_for_it(tmp_path):
    seen = Seen()
    spec = hello()
    tp = TrainerProcess(Order(spec=spec), **seen.kw())
    tp.run(0.1, RunDir.create(tmp_path, spec))
    until(lambda: tp.step_count > 3)
    os.kill(tp.pid, signal.SIGKILL)
    assert tp.wait_idle(10) and not tp.running
    until(lambda: bool(seen.lost))
    assert "ended unexpectedly" in seen.lost[0] and str(-signal.SIGKILL) in seen.lost[0]
    t0 = time.monotonic()
    assert not tp.step() and not tp.pause()
    assert time.monotonic() - t0 < 1, "a dead child is not waited for"
    tp.close()


def test_the_child_finishes_its_run_when_the_app_dies(tmp_path):
    """A closed terminal can kill the app outright: the child sees the pipe close, checkpoints, exits."""
    script = textwrap.dedent(
        f"""
        import os, time
        from rnntui.core.presets import resolve
        from rnntui.core.runs import RunDir
        from rnntui.core.spec import set_value
        from rnntui.core.trainer_child import Order
        from rnntui.core.trainer_process import TrainerProcess

        if __name__ == "__main__":
            spec = set_value(resolve("hello"), "train", "device", "cpu")
            tp = TrainerProcess(Order(spec=spec))
            tp.run(0.1, RunDir.create({str(tmp_path)!r}, spec))
            while tp.step_count < 5:
                time.sleep(0.02)
            print(tp.pid, tp.run_dir.path, flush=True)
            os._exit(3)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 3, out.stderr
    pid, path = out.stdout.split()
    run = RunDir(path)
    until(lambda: run.status()["status"] == "stopped", timeout=30)
    until(lambda: not os.path.exists(f"/proc/{pid}") or "zombie" in open(f"/proc/{pid}/status").read().lower(), 30)
    cp = run.load()
    records, warnings = run.read_metrics()
    assert [r["step"] for r in records if r["event"] == "step"] == list(range(1, cp.step + 1)) and not warnings


def explode_on_the_third_step(trainer: Trainer) -> None:
    """Order.setup for the test below (runs in the child)."""
    original = trainer._train_step

    def step() -> None:
        if trainer.step_count == 2:
            raise RuntimeError("boom at step 3")
        original()

    trainer._train_step = step


def test_a_crash_in_the_child_is_reported_with_its_reason():
    seen = Seen()
    tp = TrainerProcess(Order(spec=hello(), setup=explode_on_the_third_step), **seen.kw())
    assert tp.step() and tp.step()
    assert not tp.step(timeout=30) and not tp.alive
    until(lambda: bool(seen.lost))
    assert seen.lost == ["training failed: RuntimeError: boom at step 3"]
    tp.close()
