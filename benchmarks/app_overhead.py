"""Steps/s of a preset trained inside the running app vs the bare trainer vs a bare PyTorch loop.

    python benchmarks/app_overhead.py [--steps 600] [--presets hello,long-memory]

All three train the same model on the same batches after 5 warm-up steps. The app runs headless
(`App.run_test`) with the Train view visible, so its charts, metrics and event handling run exactly
as on screen; the app trains in its child process (Session.child_setup swaps in the batches there).
Each measurement runs in a fresh process (interleaved, best of --repeats): OpenMP keeps a worker
pool per thread that ever ran a parallel op, and a pool left by one measurement slows the next
one's training 3×, so sharing a process would measure the benchmark, not the app.
The app's clock starts at the space key and stops when the app learns of the last step (the report
of the final step is sent at once). Target: app ≥ 0.95 × the bare loop.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import bare_loop, make_batches, spec_for, use_clock, use_fixed_batches  # noqa: E402
from train_overhead import trainer_rate  # noqa: E402

from rnntui.app.app import RnnApp  # noqa: E402


def child_cpu_s(pid: int) -> float:
    """CPU seconds (user + system, all threads) of the training process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def app_rate(name: str, steps: int, clock: str) -> float:
    with tempfile.TemporaryDirectory() as runs:
        app = RnnApp(preset=name, runs_dir=runs)
        app.session.child_setup = functools.partial(use_fixed_batches, name, steps)
        async with app.run_test(size=(120, 40)) as pilot:
            while app.session.trainer is None or not app.status.startswith("ready"):
                await asyncio.sleep(0.05)
            trainer = app.session.trainer
            assert trainer.step_count == 5, "the warm-up steps ran in the child"
            await pilot.press("2")
            t0, c0, ui0 = time.perf_counter(), child_cpu_s(trainer.pid), time.process_time()
            await pilot.press("space")
            while trainer.step_count < steps + 5:  # 10 ms polling: ~0.3 % of a run of a few seconds
                await asyncio.sleep(0.01)
            wall, cpu, ui = time.perf_counter() - t0, child_cpu_s(trainer.pid) - c0, time.process_time() - ui0
            await pilot.press("q")
        print(f"ui cores {ui / wall:.3f} threads {app.view('train').state.get('threads')}")
        return steps / (cpu if clock == "cpu" else wall)


def measure(side: str, name: str, steps: int, clock: str) -> float:
    """One measurement in this (fresh) process."""
    device = torch.device("cpu")
    use_clock(clock)
    if side == "app":
        return asyncio.run(app_rate(name, steps, clock))
    spec = spec_for(name)
    task, batches = make_batches(spec, 64)
    if side == "bare":
        return bare_loop(spec, task, batches, steps, device)
    return trainer_rate(spec, task, batches, steps, device, probe=True)


def in_child(side: str, name: str, steps: int, clock: str, ui: list[float], ui_threads: list[str]) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--child", side, name, str(steps), clock], capture_output=True, text=True, check=True
    ).stdout.split()
    if "ui" in out:
        ui.append(float(out[out.index("ui") + 2]))
        ui_threads.append(out[out.index("threads") + 1])
    return float(out[-1])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(measure(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--presets", default="hello,long-memory")
    ap.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="cpu: CPU seconds of the process that trains (the app's child; all its threads): leaves out "
        "the time other tenants of a shared VM take, and the app's UI, which runs in its own process",
    )
    args = ap.parse_args()
    print(
        f"device cpu, torch {torch.__version__}, steps {args.steps}, {args.clock} clock, best of {args.repeats}, "
        "a process each"
    )
    print(
        f"{'preset':<14}{'bare loop':>11}{'trainer':>10}{'app':>10}{'app/bare':>10}{'app/trainer':>13}"
        f"{'paired app/bare':>18}{'UI cores':>10}  app's threads (tuned)"
    )
    for name in args.presets.split(","):
        rates: dict[str, list[float]] = {"bare": [], "trainer": [], "app": []}
        ui: list[float] = []
        threads: list[str] = []
        for _ in range(args.repeats):
            for side in rates:
                rates[side].append(in_child(side, name, args.steps, args.clock, ui, threads))
        b, t, a = (max(rates[k]) for k in ("bare", "trainer", "app"))
        # This VM's speed drifts by ±20 % over minutes: the ratio of the app to the bare loop
        # measured right before it, median over the repeats, is steadier than best-of ratios.
        paired = sorted(x / y for x, y in zip(rates["app"], rates["bare"], strict=True))
        med = statistics.median(paired)
        spread = f"{med:.3f} ({paired[0]:.2f}–{paired[-1]:.2f})"
        print(
            f"{name:<14}{b:>11.1f}{t:>10.1f}{a:>10.1f}{a / b:>10.3f}{a / t:>13.3f}{spread:>18}"
            f"{statistics.median(ui):>10.3f}  {' '.join(threads)}",
            flush=True,
        )


if __name__ == "__main__":
    main()
