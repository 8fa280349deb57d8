"""Finding 12: one writer per run; a second gets "run in use by pid N"; a dead owner's lock is taken over."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter

import pytest

from hostile_util import cli, one_error, trained


def test_a_second_resume_of_a_run_being_trained_is_refused_and_no_step_is_written_twice(tmp_path, capsys) -> None:
    run = trained(tmp_path)
    first = subprocess.Popen(
        [sys.executable, "-m", "rnntui", "resume", str(run.path), "--steps", "1000000", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in first.stdout:  # wait until it trains: it holds the lock from before its first step
            if json.loads(line)["event"] == "progress":
                break
        line = one_error(*cli(capsys, "resume", str(run.path), "--steps", "20")[::2])
        assert f"in use by pid {first.pid}" in line
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=120)
    assert first.returncode == 0
    steps = [r["step"] for r in run.read_metrics()[0] if r["event"] == "step"]
    assert max(Counter(steps).values()) == 1


def test_a_dead_owners_lock_is_taken_over(tmp_path, capsys) -> None:
    run = trained(tmp_path)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (run.path / "run.lock").write_text(json.dumps({"pid": gone.pid}))  # killed while it held the run
    rc, out, err = cli(capsys, "resume", str(run.path), "--steps", "5", "--json")
    assert rc == 0, err
    assert json.loads(out.splitlines()[-1])["step"] == 5
    assert not (run.path / "run.lock").exists()  # released when the resume ended


def test_one_lock_per_run_in_one_process_too(tmp_path) -> None:
    from rnntui.core.run_lock import RunInUse, RunLock

    lock = RunLock.acquire(tmp_path)
    with pytest.raises(RunInUse, match=f"in use by pid {os.getpid()}"):
        RunLock.acquire(tmp_path)
    lock.release()
    RunLock.acquire(tmp_path).release()


def test_the_app_s_trainer_child_refuses_a_run_in_use(tmp_path) -> None:
    import queue

    from rnntui.core import trainer_protocol as p
    from rnntui.core.run_lock import RunLock, holder
    from rnntui.core.trainer_client import TrainerClient

    def start() -> tuple[TrainerClient, queue.Queue]:
        replies: queue.Queue = queue.Queue()
        client = TrainerClient(replies.put)
        client.start(p.Order(resume=str(run.path)))  # what opening a run in the app asks for
        return client, replies

    def answer(replies: queue.Queue) -> p.Reply:
        while True:
            reply = replies.get(timeout=60)
            if isinstance(reply, p.Ready | p.StartFailed):
                return reply

    run = trained(tmp_path)
    lock = RunLock.acquire(run.path)
    try:
        _, replies = start()
        refused = answer(replies)
        assert isinstance(refused, p.StartFailed) and f"in use by pid {os.getpid()}" in refused.reason
    finally:
        lock.release()
    client, replies = start()
    assert isinstance(answer(replies), p.Ready)
    assert holder(run.path) == client.pid  # the child process writes the run: it holds the lock
    client.close()
    while not isinstance(replies.get(timeout=60), p.Closed):
        pass
    assert holder(run.path) is None
