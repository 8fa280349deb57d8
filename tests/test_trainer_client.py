"""The training process seen from the app: requests return at once, every answer is a reply, the
same training as here, exact pause and step, clean endings, deaths reported."""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch

from rnntui.core import events as ev
from rnntui.core import trainer_protocol as p
from rnntui.core.events import RunEnd
from rnntui.core.presets import resolve
from rnntui.core.runs import RunDir
from rnntui.core.spec import set_value
from rnntui.core.trainer import Trainer
from rnntui.core.trainer_client import TrainerClient


def hello():
    return set_value(resolve("hello"), "train", "device", "cpu")


class Replies:
    """What the reader thread delivers, in order; `next(kind)` waits for the next one of a kind."""

    def __init__(self) -> None:
        self.q: queue.Queue[p.Reply] = queue.Queue()
        self.seen: list[p.Reply] = []

    def __call__(self, reply: p.Reply) -> None:
        self.q.put(reply)

    def next(self, kind: type[p.Reply], timeout: float = 60.0) -> p.Reply:
        deadline = time.monotonic() + timeout
        while True:
            reply = self.q.get(timeout=max(0.01, deadline - time.monotonic()))
            self.seen.append(reply)
            if isinstance(reply, kind):
                return reply

    def events(self) -> list[ev.Event]:
        return [r.event for r in self.seen if isinstance(r, p.Event)]

    def steps(self) -> list[int]:
        return [pt.step for e in self.events() if isinstance(e, ev.Progress) for pt in e.points]


def test_requests_return_at_once_and_the_child_trains_like_a_trainer_here() -> None:
    replies = Replies()
    client = TrainerClient(replies)
    t0 = time.monotonic()
    client.start(p.Order(spec=hello()))
    client.request(p.Step())  # before the process is even up: kept, then sent
    assert time.monotonic() - t0 < 0.1, "start and request do not wait for the process"
    ready = replies.next(p.Ready)
    reference = Trainer(hello())
    assert ready.params == reference.model.param_count() and client.pid != os.getpid()
    first = replies.next(p.WeightsCopy).weights  # right after Ready, which carries no tensor
    assert set(first) == set(reference.cpu_state())
    for k, v in reference.cpu_state().items():  # the same seeded initial weights
        assert torch.equal(first[k], v), k
    assert replies.next(p.Stepped).step == 1
    reference.step()
    for _ in range(2):
        client.request(p.Step())
        replies.next(p.Stepped)
        reference.step()
    weights = [r for r in replies.seen if isinstance(r, p.WeightsCopy)][-1].weights
    for k, v in reference.cpu_state().items():
        assert torch.allclose(weights[k], v, atol=1e-6), k
    assert replies.steps() == [1, 2, 3]
    client.close()
    replies.next(p.Closed)


def test_pause_is_exact_a_paused_step_is_one_step_and_nothing_is_lost(tmp_path) -> None:
    replies = Replies()
    spec = hello()
    client = TrainerClient(replies)
    client.start(p.Order(spec=spec))
    replies.next(p.Ready)
    client.request(p.Run(0.1, str(tmp_path)))
    while not replies.steps() or max(replies.steps()) < 10:
        replies.next(p.Event)
    client.request(p.Pause())
    paused_at = replies.next(p.Paused).step
    assert max(replies.steps()) <= paused_at
    client.request(p.Step())
    assert replies.next(p.Stepped).step == paused_at + 1
    client.request(p.Resume())
    while max(replies.steps()) < paused_at + 5:
        replies.next(p.Event)
    client.request(p.Stop())
    idle = replies.next(p.Idle)
    finished = [e for e in replies.events() if isinstance(e, ev.Finished)][-1]
    assert finished.reason is RunEnd.HALTED and idle.step == finished.step
    assert replies.steps() == list(range(1, finished.step + 1))
    client.close()
    replies.next(p.Closed)
    run = RunDir(finished.run_dir)
    assert run.path.parent == tmp_path  # the process made its run where it was told
    assert run.status()["status"] == "stopped" and run.load().step == finished.step
    records, _ = run.read_metrics()
    assert [r["step"] for r in records if r["event"] == "step"] == list(range(1, finished.step + 1))


def test_a_trainer_the_child_cannot_build_is_a_reply_that_says_why(tmp_path) -> None:
    replies = Replies()
    TrainerClient(replies).start(p.Order(resume=str(tmp_path / "missing-run")))
    failed = replies.next(p.StartFailed)
    assert "does not exist" in failed.reason or "not found" in failed.reason or "no checkpoint" in failed.reason


def test_a_killed_child_is_reported_and_nothing_waits_for_it(tmp_path) -> None:
    replies = Replies()
    spec = hello()
    client = TrainerClient(replies)
    client.start(p.Order(spec=spec))
    replies.next(p.Ready)
    client.request(p.Run(0.1, str(tmp_path)))
    replies.next(p.Event)
    os.kill(client.pid, signal.SIGKILL)
    lost = replies.next(p.Lost, timeout=15)
    assert "ended unexpectedly" in lost.reason and str(-signal.SIGKILL) in lost.reason
    t0 = time.monotonic()
    client.request(p.Step())  # to a dead process: dropped, at once
    assert time.monotonic() - t0 < 0.1


def test_the_child_finishes_its_run_when_the_app_dies(tmp_path) -> None:
    """A closed terminal can kill the app outright: the child sees the pipe close, checkpoints, exits."""
    script = textwrap.dedent(
        f"""
        import os, queue
        from rnntui.core import events as ev, trainer_protocol as p
        from rnntui.core.presets import resolve
        from rnntui.core.runs import RunDir
        from rnntui.core.spec import set_value
        from rnntui.core.trainer_client import TrainerClient

        if __name__ == "__main__":
            spec = set_value(resolve("hello"), "train", "device", "cpu")
            replies = queue.Queue()
            client = TrainerClient(replies.put)
            client.start(p.Order(spec=spec))
            client.request(p.Run(0.1, {str(tmp_path)!r}))
            run_dir = None
            while True:
                r = replies.get()
                if isinstance(r, p.Event) and isinstance(r.event, ev.Started):
                    run_dir = r.event.run_dir
                if isinstance(r, p.Event) and isinstance(r.event, ev.Progress) and r.event.points[-1].step >= 5:
                    break
            print(client.pid, run_dir, flush=True)
            os._exit(3)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 3, out.stderr
    pid, path = out.stdout.split()
    run = RunDir(path)
    deadline = time.monotonic() + 30
    while run.status().get("status") != "stopped":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    cp = run.load()
    records, warnings = run.read_metrics()
    assert [r["step"] for r in records if r["event"] == "step"] == list(range(1, cp.step + 1)) and not warnings


def test_a_crash_in_the_child_is_reported_with_its_reason(monkeypatch) -> None:
    original = Trainer.step

    def step(self: Trainer, on_event=None) -> None:  # inherited by the forked child
        if self.step_count == 2:
            raise RuntimeError("boom at step 3")
        original(self, on_event)

    monkeypatch.setattr(Trainer, "step", step)
    replies = Replies()
    client = TrainerClient(replies, context=multiprocessing.get_context("fork"))
    client.start(p.Order(spec=hello()))
    replies.next(p.Ready)
    for _ in range(3):
        client.request(p.Step())
    assert replies.next(p.Lost, timeout=30).reason == "training failed: RuntimeError: boom at step 3"
    assert len([r for r in replies.seen if isinstance(r, p.Stepped)]) == 2


def test_predict_gets_weights_once_a_second_while_training(tmp_path) -> None:
    """Each copy repaints every row of Predict's heatmap; twice a second sent char-lm's Predict over
    the 30 KB/s wire budget. Once a second, and one at once when Predict asks (it opened)."""
    replies = Replies()
    client = TrainerClient(replies)
    client.start(p.Order(spec=hello()))
    replies.next(p.Ready)
    replies.next(p.WeightsCopy)  # the first, right after Ready
    client.request(p.Run(0.05, str(tmp_path)))
    client.request(p.WantWeights(True))
    replies.next(p.WeightsCopy)  # at once: Predict opened
    t0 = time.monotonic()
    copies = 0
    while time.monotonic() - t0 < 3.2:
        try:
            reply = replies.q.get(timeout=0.1)
        except queue.Empty:
            continue
        copies += isinstance(reply, p.WeightsCopy)
    assert 1 <= copies <= 4, copies  # ~3 in 3.2 s (6 to 7 at two a second)
    client.close()


@pytest.mark.parametrize(
    ("cores", "load", "early"),
    [(2, 0.0, False), (2, 1.0, False), (4, 0.5, True), (4, 1.0, True), (4, 1.5, False), (8, 3.0, True)],
)
def test_the_fork_server_starts_before_the_first_frame_only_with_a_core_for_each_new_process(
    monkeypatch, cores, load, early
) -> None:
    """The warm-up starts two interpreters (the fork server, multiprocessing's resource tracker):
    on 2 idle cores beside the app they made its first frame 0.38-0.42 s instead of 0.34."""
    from rnntui.core import trainer_client

    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    assert trainer_client.spare_core() is early
