"""The app's first frame and the moment it is ready to train, next to `python -c "import torch"`.

    python benchmarks/startup.py [--repeats 7] [--preset hello]

Each figure is wall time from spawning the process, the median of --repeats; the runs take turns.
Our modules' bytecode is compiled first, as `pip install` does: this machine sets
PYTHONDONTWRITEBYTECODE=1, under which an editable install compiles every module of the app from
source at every start (~30 ms, nothing a user's installed rnntui pays).

- first frame (terminal): `python -m rnntui --preset NAME` (as a person runs it) in a pseudo-terminal
  of 80×24: the moment the terminal has received the first whole frame, every row of the screen
  (Textual writes each row at its place, the last row last), with the preset's name in it (read
  without torch). What a person sees, writing to the terminal included.
- first refresh settled (in the app): the app run headless (as `rnntui` does, default hello) with
  a callback after its first refresh, which Textual calls once the layout passes that follow the
  first frame have settled (scroll bars, sizes that depend on sizes): a later, stricter mark,
  printed beside it.
- ready: the preset is loaded, its network built in the training process and idle (the state says
  ready): `space` trains at once.
- space → run started: `space` is pressed at ready; the training process has started the run (its
  Started event comes out of the pipe). What "at once" means, in numbers. "On screen": the event is
  in the app's state, which waits for the event loop (the app's process imports no torch; the
  predictor's process starts beside it once the network is ready).

Targets: first frame (terminal) ≤ 0.35 s; ready ≤ 1.2 × `python -c "import torch"`.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import rnntui

FIRST_FRAME_TARGET = 0.35
READY_TARGET = 1.2  # × import torch

APP = """
import sys, time
from rnntui.core.trainer_client import spare_core, warm_up

if spare_core():  # as `rnntui` does (app/main.py)
    warm_up()
from rnntui.app.app import RnnApp
from rnntui.app.state import Phase

preset = sys.argv[1]


class Timed(RnnApp):
    def on_mount(self) -> None:
        # Runs before RnnApp.on_mount (Textual calls each class's handler, the subclass's first), so
        # this callback is the first after the first refresh: the clock stops at the first frame.
        self.call_after_refresh(self.first_frame)
        self.watch(self, "training", self.changed, init=False)
        self.marks = {}

    def mark(self, what: str) -> None:
        if what not in self.marks:
            self.marks[what] = time.time()
            print(f"{what} {self.marks[what]!r}", flush=True)

    def first_frame(self) -> None:
        self.mark("frame")
        shown = preset in str(self.query_one("#topbar").render())
        print(f"shown {shown} torch={'torch' in sys.modules}", flush=True)

    def changed(self, s) -> None:
        if s.phase is Phase.READY and s.spec is not None and s.spec.name == preset and "ready" not in self.marks:
            self.mark("ready")
            post = self.link.post

            def piped(message):  # the reader thread: a reply as it comes out of the pipe
                reply = getattr(message.reply, "event", None)
                if type(reply).__name__ == "Started":
                    self.mark("piped")
                return post(message)

            self.link.post = piped
            self.action_toggle_training()
        elif "ready" in self.marks and s.run_dir is not None and s.phase is Phase.TRAINING:
            self.mark("started")  # (Started carries the run's folder)
            self.exit()


app = Timed(preset=preset, runs_dir=sys.argv[2])
app.run(headless=True)
app.wait_saved(15)  # as `rnntui` does (app/main.py)
"""


def spawn(args: list[str]) -> tuple[float, dict[str, float], str]:
    """Wall seconds from spawn to exit, the marks (seconds from spawn), and extra output."""
    t0 = time.time()
    proc = subprocess.Popen(
        [sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    stdout, stderr = proc.communicate()
    end = time.time()
    if proc.returncode:
        raise SystemExit(stderr)
    wait_for_group(proc.pid)
    marks, extra = {}, ""
    for line in stdout.splitlines():
        word, _, value = line.partition(" ")
        if word in ("frame", "ready", "piped", "started"):
            marks[word] = float(value) - t0
        elif word == "shown":
            extra = line
    return end - t0, marks, extra


def wait_for_group(pgid: int, timeout: float = 60.0) -> None:
    """Wait until every process the spawned one started has gone (its training process, the fork
    server): one still running would slow the next measurement down."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


TERMINAL = (80, 24)  # columns, rows


def terminal_first_frame(preset: str, runs: str) -> tuple[float, bool]:
    """Seconds from spawn until a pseudo-terminal has received the app's first whole frame (the
    write that carries its last row), and whether the preset's name is in that frame."""
    import fcntl
    import termios

    cols, rows = TERMINAL
    t0 = time.time()
    pid, fd = pty.fork()
    if pid == 0:  # the child: the terminal's size first, then the app as a person starts it
        fcntl.ioctl(sys.stdout.fileno(), termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.environ["TERM"] = "xterm-256color"
        os.execv(sys.executable, [sys.executable, "-m", "rnntui", "--preset", preset, "--runs-dir", runs])
    buf, seen = b"", None
    top, last_row = b"\x1b[1;1H", f"\x1b[{rows};1H".encode()  # Textual places each row of a frame
    try:
        while seen is None and time.time() - t0 < 20:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(fd, 1 << 16)
            except OSError:  # (Linux: the app has gone)
                break
            if not data:  # (macOS: the same)
                break
            buf += data
            start = buf.find(top)
            at = buf.find(last_row, start) if start >= 0 else -1
            if at >= 0 and len(buf) - at >= cols:  # the last row's text has come too
                seen = time.time() - t0
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)  # the app and what it started (pty.fork made it a session leader)
        os.waitpid(pid, 0)
        os.close(fd)
        wait_for_group(pid)
    if seen is None:
        raise SystemExit(f"no whole frame in 20 s; the terminal got {len(buf)} bytes")
    start = buf.find(top)
    end = buf.find(top, start + 1)
    frame = buf[start : end if end > 0 else len(buf)]  # that frame only, not the ones after it
    return seen, preset.encode() in frame


def row(name: str, values: list[float], target: str = "") -> None:
    print(f"{name:<30}{statistics.median(values):>7.3f}   (min {min(values):.3f}, max {max(values):.3f}){target}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--preset", default="hello")
    args = ap.parse_args()
    compileall.compile_dir(Path(rnntui.__file__).parent, quiet=1)  # as `pip install` does
    rows: dict[str, list[float]] = {
        "pass": [],
        "torch": [],
        "terminal": [],
        "frame": [],
        "ready": [],
        "piped": [],
        "space": [],
    }
    ratios, shown, in_frame = [], "", []
    with tempfile.TemporaryDirectory() as runs:
        for _ in range(args.repeats):
            rows["pass"].append(spawn(["-c", "pass"])[0])
            torch_s = spawn(["-c", "import torch"])[0]
            rows["torch"].append(torch_s)
            seconds, named = terminal_first_frame(args.preset, runs)
            rows["terminal"].append(seconds)
            in_frame.append(named)
            _, marks, shown = spawn(["-c", APP, args.preset, runs])
            rows["frame"].append(marks["frame"])
            rows["ready"].append(marks["ready"])
            rows["piped"].append(marks["piped"] - marks["ready"])
            rows["space"].append(marks["started"] - marks["ready"])
            ratios.append(marks["ready"] / torch_s)
    torch_s, ready = statistics.median(rows["torch"]), statistics.median(rows["ready"])
    print(f"median of {args.repeats} runs, seconds from spawn; preset {args.preset}; {os.cpu_count()} cores")
    row("python -c pass", rows["pass"])
    row('python -c "import torch"', rows["torch"])
    ok = "ok" if statistics.median(rows["terminal"]) <= FIRST_FRAME_TARGET else "MISSED"
    cols, lines = TERMINAL
    row(f"first frame ({cols}×{lines} terminal)", rows["terminal"], f"   target ≤ {FIRST_FRAME_TARGET} s: {ok}")
    row("first refresh settled (app)", rows["frame"], "   (after the layout passes that follow the frame)")
    ok = "ok" if ready <= READY_TARGET * torch_s else "MISSED"
    row("ready to train", rows["ready"], f"   target ≤ {READY_TARGET * torch_s:.3f} s: {ok}")
    row("space → run started", rows["piped"], "   (the training process's word, out of the pipe)")
    row("space → on screen", rows["space"], "   (the app's state)")
    own = statistics.median(ratios)
    print(f"ready / import torch: {ready / torch_s:.2f} (median of the runs' own ratios {own:.2f})")
    print(f"first frame: preset named in every terminal frame: {all(in_frame)}")
    print(f"first refresh: preset {shown.replace('shown ', 'shown: ').replace('torch=', '· torch imported: ')}")


if __name__ == "__main__":
    main()
