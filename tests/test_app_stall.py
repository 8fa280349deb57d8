"""The event loop never waits (issue 14): every key during training is a request answered by a message.

A heartbeat timer ticks every 10 ms while the keys are pressed as a person would during training —
every view (1, 2, 3 with its prefix and predictions, 4 with its table read from disk), space to
pause and resume, s, r — and the largest stall of the round must stay under 50 ms. A stall is a
gap between two ticks beyond the beat itself (a tick 10 ms after the last is no stall), counted
without the time the UI thread sat in the kernel's run queue:

On a 2-core machine the training process and the UI share the cores, so the kernel sometimes keeps
the UI thread waiting for a core (measured: up to 200 ms of a gap on a loaded machine). That wait is
not the event loop's: it is a thread ready to run and not given a core (Linux counts it in
/proc/thread-self/schedstat, second field; 0 where the kernel does not say, and then nothing is
taken off). Anything the loop itself does — a `join`, a blocking `recv`, a sleep, torch work, file
reads, a redraw — is the thread running or blocked, never runnable-and-waiting, so it is counted
in full. A sleep(0.08) in a key's action shows as an 80 ms stall here.

The largest stall of the round is the figure: not the better of two rounds. The round runs in a
fresh interpreter, as the app does when a person starts it: after ~800 tests in one process the
heap the collector walks is the test suite's, not the app's (a 53 ms stall seen only there).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from app_helpers import ready, wait_for
from textual.pilot import Pilot

from rnntui.app.app import RnnApp
from rnntui.app.state import Phase

BEAT_S = 0.01
MAX_STALL_S = 0.05
SCHEDSTAT = Path("/proc/thread-self/schedstat")
# Pressed while training, each after the last has been handled: the views (4 reads the runs from
# disk; 3 asks for the weights and predicts its prefix, which takes the keys until esc), pause, a
# step, resume, then a reset.
KEYS = ["s", "1", "2", "3", "escape", "4", "space", "s", "1", "space", "r", "3", "escape"]


def run_queue_s() -> float:
    """Seconds this thread has waited for a core, all told (0 where the kernel does not say)."""
    try:
        return int(SCHEDSTAT.read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


async def one_round(app: RnnApp, pilot: Pilot) -> list[float]:
    """The keys of a person watching a run, from an idle network to a paused one; every stall."""
    stalls: list[float] = []
    last, queued = time.perf_counter(), run_queue_s()

    def beat() -> None:
        nonlocal last, queued
        now, waited = time.perf_counter(), run_queue_s()
        stalls.append(now - last - BEAT_S - (waited - queued))
        last, queued = now, waited

    timer = app.set_interval(BEAT_S, beat)
    await pilot.press("space")
    await wait_for(pilot, lambda: app.training.phase is Phase.TRAINING and app.training.step > 0)
    for key in KEYS:
        await pilot.press(key)
        await pilot.pause(0.2)
    await wait_for(pilot, lambda: app.training.phase is Phase.READY)  # reset: a new process
    await pilot.press("space")
    await wait_for(pilot, lambda: app.training.phase is Phase.TRAINING and app.training.step > 0)
    await pilot.press("4", "space")  # pause from Runs
    await wait_for(pilot, lambda: app.training.phase is Phase.PAUSED)
    timer.stop()
    return stalls[1:]  # (the first tick measures from before the timer existed)


async def largest_stall(runs_dir: str) -> float:
    app = RnnApp(runs_dir=runs_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("2")
        await pilot.pause()
        stalls = await one_round(app, pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: app.training.phase is Phase.READY and app.training.step == 0)
    assert len(stalls) > 100
    return max(stalls)


def test_no_key_blocks_the_event_loop_while_training(tmp_path) -> None:
    out = subprocess.run(
        [sys.executable, __file__, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).parent,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    worst = float(out.stdout.strip().splitlines()[-1])
    print(f"largest stall {worst * 1e3:.1f} ms")
    assert worst < MAX_STALL_S, f"the event loop stalled {worst * 1e3:.0f} ms"


if __name__ == "__main__":  # the round itself, in its own interpreter (see the module's docstring)
    print(asyncio.run(largest_stall(sys.argv[1])))
