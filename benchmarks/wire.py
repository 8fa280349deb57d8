"""Bytes the app writes to its terminal per second, per view, idle and while training.

    python benchmarks/wire.py [--presets hello,char-lm,translate] [--sizes 120x40,80x24]
                              [--seconds 20] [--warmup 5] [--views train,predict,build,runs]

Target (issue 15): ≤ 30 KB/s while training at 120×40 (an SSH link over a phone must keep up).

The real app (`python -m rnntui --preset P`, run in this checkout's root, so it is this checkout's
code) runs in a pseudo-terminal of the given size with TERM=xterm-256color (COLORTERM unset: 256
colours, as over a plain SSH login), and every byte read from the pty's master side is counted: what
a terminal, or an SSH link, would receive. The preset is a copy with many more steps and no goal, so
the run is still training in the last window (the real presets end in seconds). For each view the
script presses its key, waits --warmup seconds (the switch's own repaint is not steady state) and
counts bytes over --seconds; first with the app idle (loaded, not training: the baseline), then
training (`space`). A window in which the run stopped is marked "(stopped)". Each training window
also says how many reports a second reached the status line: the bytes follow the reports, and on a
loaded machine a starved run reports (and sends) less, so compare figures at similar report rates,
or run on a quiet machine.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

TARGET_KBS = 30.0
ROOT = Path(__file__).resolve().parent.parent
VIEW_KEYS = {"build": b"1", "train": b"2", "predict": b"3", "runs": b"4"}
ESC = b"\x1b"  # leaves Predict's text field, so the next view key is a key and not typed text
ANSI = re.compile(rb"\x1b\[[0-9;?<>=$]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[@-_]")
READY = b"space to train"


def long_preset(name: str, folder: Path) -> None:
    """The preset with 10^6 steps and no goal (a reached goal ends the run), under its own name."""
    text = (ROOT / "presets" / f"{name}.toml").read_text()
    text = re.sub(r"(?ms)^\[goal\]\n.*?(?=^\[|\Z)", "", text)
    text = re.sub(r"(?m)^steps = \d+", "steps = 1000000", text)
    (folder / f"{name}.toml").write_text(text)


class Terminal:
    """The app in a pty of `cols`×`rows`; `pump` drains its output (an undrained pty blocks the app)."""

    def __init__(self, name: str, folder: Path, cols: int, rows: int) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "NO_COLOR", "TEXTUAL")}
        # The long copy, in the user's preset folder, replaces the built-in of the same name.
        env.update(TERM="xterm-256color", COLUMNS=str(cols), LINES=str(rows), RNNTUI_PRESETS_DIR=str(folder))
        cmd = [sys.executable, "-m", "rnntui", "--preset", name, "--runs-dir", str(folder / "runs")]
        self.proc = subprocess.Popen(
            cmd, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, close_fds=True, cwd=ROOT
        )
        os.close(slave)
        self.fd = master
        self.total = 0
        self.tail = b""  # the last text written, escapes stripped: to wait for words on screen
        self.dump: list[bytes] | None = None  # every chunk, while a window is dumped (--dump)

    def pump(self, seconds: float) -> int:
        """Read for `seconds`; the bytes read."""
        got = 0
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:  # the app has gone
                break
            got += len(chunk)
            if self.dump is not None:
                self.dump.append(chunk)
            self.tail = (self.tail + ANSI.sub(b"", chunk))[-20000:]
        self.total += got
        return got

    def wait_for(self, words: bytes, timeout: float) -> None:
        end = time.monotonic() + timeout
        while words not in self.tail:
            if time.monotonic() > end or self.proc.poll() is not None:
                raise SystemExit(f"the app never showed {words!r}; last text: {self.tail[-400:]!r}")
            self.pump(0.1)

    def press(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def close(self) -> None:
        self.press(b"q")
        try:
            end = time.monotonic() + 20
            while self.proc.poll() is None and time.monotonic() < end:
                self.pump(0.1)
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, 15)
                self.proc.wait(10)
            os.close(self.fd)


def leave_input(term: Terminal, current: str) -> None:
    """Predict's text field takes the keys: ESC gives them back to the app."""
    if current == "predict":
        term.press(ESC)
        term.pump(0.3)  # a lone ESC is told from an escape sequence by a pause


def go_to(term: Terminal, view: str, current: str) -> None:
    leave_input(term, current)
    term.press(VIEW_KEYS[view])


def window(term: Terminal, seconds: float, dump: Path | None) -> tuple[float, bool, float]:
    """KB/s over `seconds`, whether the run stopped meanwhile, and the status line's new steps a
    second (a starved run reports less, and sends less); the bytes saved to `dump`."""
    term.tail = b""
    term.dump = [] if dump else None
    got = term.pump(seconds)
    if dump is not None and term.dump is not None:
        dump.write_bytes(b"".join(term.dump))
    term.dump = None
    stopped = b"finished at" in term.tail or b"paused at" in term.tail
    return got / seconds / 1000, stopped, term.tail.count(b"training: step") / seconds


def measure(
    name: str, cols: int, rows: int, views: list[str], seconds: float, warmup: float, dump: Path | None
) -> None:
    folder = Path(tempfile.mkdtemp(prefix="rnntui-wire-"))
    long_preset(name, folder)
    term = Terminal(name, folder, cols, rows)
    try:
        t0 = time.monotonic()
        term.wait_for(READY, timeout=120)
        print(f"{name} {cols}×{rows}: ready in {time.monotonic() - t0:.1f} s, {term.total / 1000:.0f} KB so far")
        current = "build"
        for training in (False, True):
            if training:
                leave_input(term, current)
                term.press(b" ")
                term.wait_for(b"training: step", timeout=60)
            for view in views:
                go_to(term, view, current)
                current = view
                term.pump(warmup)
                state = "training" if training else "idle"
                where = dump / f"{name}-{cols}x{rows}-{view}-{state}.bin" if dump else None
                kbs, stopped, reports = window(term, seconds, where)
                verdict = ("ok" if kbs <= TARGET_KBS else "OVER") if training else "baseline"
                note = " (stopped)" if training and stopped else ""
                rate = f"   ({reports:.1f} reports/s)" if training else ""
                print(
                    f"  {view:8} {state:8} {kbs:7.2f} KB/s   target ≤ {TARGET_KBS:g}  {verdict}{note}{rate}", flush=True
                )
    finally:
        term.close()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--presets", default="hello,char-lm,translate")
    ap.add_argument("--sizes", default="120x40,80x24")
    ap.add_argument("--views", default="train,predict,build,runs")
    ap.add_argument("--seconds", type=float, default=20.0, help="length of each counted window")
    ap.add_argument("--warmup", type=float, default=5.0, help="seconds after a view switch before counting")
    ap.add_argument("--dump", type=Path, help="a folder: each window's bytes in a file, to see what was sent")
    args = ap.parse_args()
    if args.dump:
        args.dump.mkdir(parents=True, exist_ok=True)
    views = args.views.split(",")
    unknown = set(views) - set(VIEW_KEYS)
    if unknown:
        raise SystemExit(f"unknown views: {', '.join(sorted(unknown))}")
    for size in args.sizes.split(","):
        cols, rows = (int(v) for v in size.split("x"))
        for name in args.presets.split(","):
            measure(name, cols, rows, views, args.seconds, args.warmup, args.dump)


if __name__ == "__main__":
    main()
