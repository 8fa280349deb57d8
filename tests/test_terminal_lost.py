"""A terminal that goes away without a hangup signal (an SSH link that died, `nohup rnntui`, a web
terminal closed) ends the app as `q` would: training stops, the run is saved, the process exits.
Textual's input thread reads an ended terminal in a loop at 100 % of a core, forever (Textual
pull request #6690), and the training process went on beside it."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from rnntui.core.runs import CHECKPOINT

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the terminal is watched on Linux")

EXIT_WITHIN_S = 20.0


def first_frame(master: int, rows: int = 24, timeout: float = 30.0) -> None:
    """Read the terminal until the app's first whole frame (every row) has been written."""
    buf, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            buf += os.read(master, 1 << 16)
            start = buf.find(b"\x1b[1;1H")
            if start >= 0 and f"\x1b[{rows};1H".encode() in buf[start:]:
                return
    raise AssertionError(f"no whole frame in {timeout} s; the terminal got {len(buf)} bytes")


def group_ended(pgid: int, timeout: float = 15.0) -> bool:
    """Every process of the app's session has exited (its training process, the fork server)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def training_run(master: int, runs: Path, timeout: float = 60.0) -> Path:
    """Press space until a run folder with metrics appears (the network is ready and training)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m.parent for m in runs.glob("*/metrics.jsonl") if m.stat().st_size]
        if found:
            return found[0]
        os.write(master, b" ")  # (space before ready does nothing; the next one starts training)
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            os.read(master, 1 << 16)  # keep the terminal drained, as a terminal does
    raise AssertionError("training did not start")


def test_the_app_ends_when_its_terminal_goes_away(tmp_path: Path) -> None:
    master, slave = pty.openpty()
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    # A session of its own without this terminal as its controlling one: closing the terminal
    # sends it no SIGHUP, as when a link dies or the app runs under nohup.
    app = subprocess.Popen(
        [sys.executable, "-m", "rnntui", "--preset", "hello", "--runs-dir", str(tmp_path)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        env={**os.environ, "TERM": "xterm-256color"},
    )
    os.close(slave)
    try:
        first_frame(master)
        run = training_run(master, tmp_path)
        os.close(master)  # the terminal goes away, training running
        master = -1
        app.wait(EXIT_WITHIN_S)
        status = json.loads((run / "run.json").read_text())["status"]
        assert status == "stopped" and (run / CHECKPOINT).is_file(), status  # saved, as `q` saves it
        assert group_ended(app.pid), "a process the app started is still running"
    except subprocess.TimeoutExpired:
        pytest.fail(f"the app was still running {EXIT_WITHIN_S} s after its terminal went away")
    finally:
        if master >= 0:
            os.close(master)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(app.pid, signal.SIGKILL)  # what is left of a failed test
        app.wait()


def test_the_terminal_is_watched_on_linux_only(monkeypatch) -> None:
    """macOS's poll() answers "invalid" for a terminal at once (it does not support devices): a
    watch there would end the app as it starts."""
    from rnntui.app import terminal_watch

    lost: list[bool] = []
    monkeypatch.setattr(terminal_watch.sys, "platform", "darwin")
    monkeypatch.setattr(terminal_watch.os, "isatty", lambda fd: True)  # (as in a terminal)
    assert terminal_watch.watch_terminal(lambda: lost.append(True)) is None and not lost
