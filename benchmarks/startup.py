"""Time to the app's first frame, next to `python -c "import torch"` and a bare interpreter.

    python benchmarks/startup.py [--repeats 7]

Each figure is wall time from spawning the process, the median of --repeats. The app runs
headless and exits right after its first refresh; torch is imported in a worker after that frame,
so the first frame must not wait for it. Target: first frame ≤ 0.35 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

FIRST_FRAME = """
import time
from rnntui.app.app import RnnApp


class FirstFrame(RnnApp):
    def on_mount(self) -> None:
        # Registered before the app's own after-first-frame work (mounting the views, starting
        # the torch import), so the clock stops when the first frame has been drawn.
        self.call_after_refresh(self.done)
        super().on_mount()

    def done(self) -> None:
        import sys
        print(f"FRAME {time.time()!r} torch={'torch' in sys.modules}", flush=True)
        self.exit()


FirstFrame().run(headless=True)
"""


def spawn(code: str) -> tuple[float, str]:
    t0 = time.time()
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    stdout, stderr = proc.communicate()
    end = time.time()
    if proc.returncode:
        raise SystemExit(stderr)
    wait_for_group(proc.pid)
    for line in stdout.splitlines():
        if line.startswith("FRAME "):
            return float(line.split()[1]) - t0, line.split()[2]
    return end - t0, ""


def wait_for_group(pgid: int, timeout: float = 60.0) -> None:
    """Wait until every process the spawned one started has gone: the app starts its trainer's
    fork server (importing torch, ~3 s) after the first frame, and a server still importing would
    slow the next measurement down."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    rows = {"python -c pass": [], 'python -c "import torch"': [], "rnntui first frame": []}
    torch_flag = ""
    for _ in range(args.repeats):
        rows["python -c pass"].append(spawn("pass")[0])
        rows['python -c "import torch"'].append(spawn("import torch")[0])
        t, torch_flag = spawn(FIRST_FRAME)
        rows["rnntui first frame"].append(t)
    print(f"median of {args.repeats} runs, seconds from spawn")
    for name, values in rows.items():
        print(f"{name:<28}{statistics.median(values):>8.3f}   (min {min(values):.3f}, max {max(values):.3f})")
    print(f"torch already imported at the first frame: {torch_flag.split('=')[-1] or '?'}")


if __name__ == "__main__":
    main()
