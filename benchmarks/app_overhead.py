"""Steps/s of a preset trained inside the running app vs the bare trainer vs a bare PyTorch loop.

    python benchmarks/app_overhead.py [--steps 300] [--rounds 15] [--presets hello,long-memory]

All three train the same model on the same batches: a bare loop and a Trainer each in a worker
process of their own, and the app, headless (`App.run_test`) in this process with the Train view
on screen, training in its child process as it always does (common.use_fixed_batches swaps in the
batches there), its charts, metrics and event handling running as on screen.

Out of date: `rounds_with_app` still drives the app through its former session object (a hook to run
`use_fixed_batches` in the child, the trainer's events); the app (training_link.py, trainer_client.py)
has no such seam yet, so the app column cannot run until it gets one.

This VM's speed drifts by ±20 % within seconds, so one long run of each says little. Instead the
three take turns, --rounds times, each training --steps steps per turn (the order rotates), and
the table shows medians and the median of the per-round app/bare ratios. A turn's clock stops at
the report of its last step, which every trainer sends at once (UI cores: this process's CPU use
meanwhile, the benchmark's own waiting included); the end-of-run evaluation and
checkpoint are not training steps (the bare loop does neither). Target: app ≥ 0.95 × the bare loop.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BareLoop, FixedBatches, make_batches, spec_for, use_fixed_batches  # noqa: E402

WARMUP_STEPS = 50
HUGE = 10**9


# ---- workers: one process each, a turn per line on stdin -----------------------------------------
def worker(kind: str, name: str) -> None:
    import dataclasses

    import torch

    from rnntui.core.trainer import Trainer

    spec = spec_for(name)
    task, batches = make_batches(spec, 64)
    if kind == "bare":
        loop = BareLoop(spec, task, batches, torch.device("cpu"))
        turn = loop.rate
    else:
        spec = dataclasses.replace(spec, train=dataclasses.replace(spec.train, eval_every=HUGE, steps=HUGE))
        trainer = Trainer(spec, task=FixedBatches(task, batches))

        def turn(steps: int) -> float:
            last = [0.0]

            def on_event(e) -> None:
                if e.kind == "progress":
                    last[0] = time.perf_counter()

            t0 = time.perf_counter()
            trainer.run(steps=trainer.step_count + steps, on_event=on_event, every_s=0.4)
            return steps / (last[0] - t0)

    print("ready", flush=True)
    for line in sys.stdin:
        print(turn(int(line)), flush=True)


class Worker:
    def __init__(self, kind: str, name: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", kind, name], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout.readline().strip() == "ready"

    def turn(self, steps: int) -> float:
        self.proc.stdin.write(f"{steps}\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(30)


# ---- the app --------------------------------------------------------------------------------------
async def rounds_with_app(name: str, steps: int, rounds: int) -> dict[str, list[float]]:
    from rnntui.app.app import RnnApp
    from rnntui.app.session import REPORT_EVERY_S
    from rnntui.core.runs import RunDir

    workers = {"bare": Worker("bare", name), "trainer": Worker("trainer", name)}
    rates: dict[str, list[float]] = {"bare": [], "trainer": [], "app": [], "ui cores": [], "threads": []}
    with tempfile.TemporaryDirectory() as runs:
        app = RnnApp(preset=name, runs_dir=runs)
        app.session.child_setup = functools.partial(use_fixed_batches, name, HUGE)
        async with app.run_test(size=(120, 40)) as pilot:
            while app.session.trainer is None or not app.status.startswith("ready"):
                await asyncio.sleep(0.05)
            await pilot.press("2")
            trainer = app.session.trainer
            run_dir = RunDir.create(Path(runs), app.session.spec)

            # The clock stops on the reader thread when the last step's report arrives (no polling:
            # a polling loop here would take CPU from the training process).
            post, last = trainer.on_event, {"target": HUGE, "t": 0.0, "done": threading.Event()}

            def on_event(e) -> None:
                if e.kind == "progress" and e.points and e.points[-1].step >= last["target"]:
                    last["t"] = time.perf_counter()
                    last["done"].set()
                post(e)

            trainer.on_event = on_event

            async def app_turn(n: int) -> float:
                last["target"] = trainer.step_count + n
                last["done"].clear()
                t0, ui0 = time.perf_counter(), time.process_time()
                trainer.run(REPORT_EVERY_S, run_dir, steps=last["target"])
                await asyncio.to_thread(last["done"].wait)
                wall = last["t"] - t0
                rates["ui cores"].append((time.process_time() - ui0) / wall)
                await asyncio.to_thread(trainer.wait_idle)
                await pilot.pause()
                return n / wall

            async def turn(kind: str, n: int) -> float:
                return await app_turn(n) if kind == "app" else await asyncio.to_thread(workers[kind].turn, n)

            kinds = ["bare", "trainer", "app"]
            for kind in kinds:  # warm-up (and the app's first run picks its thread count)
                await turn(kind, WARMUP_STEPS)
            rates["ui cores"].clear()
            for r in range(rounds):
                order = kinds[r % 3 :] + kinds[: r % 3]
                for kind in order:
                    rates[kind].append(await turn(kind, steps))
            rates["threads"].append(app.view("train").state.get("threads") or 0)
            await pilot.press("q")
    for w in workers.values():
        w.close()
    return rates


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=300, help="steps per turn")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--presets", default="hello,long-memory")
    args = ap.parse_args()
    import torch

    print(f"device cpu, torch {torch.__version__}, {args.rounds} rounds of {args.steps} steps each, medians")
    print(
        f"{'preset':<14}{'bare loop':>11}{'trainer':>10}{'app':>10}{'app/bare':>10}{'app/trainer':>13}"
        f"{'per-round app/bare (IQR)':>28}{'UI cores':>10}{'threads':>9}"
    )
    for name in args.presets.split(","):
        r = asyncio.run(rounds_with_app(name, args.steps, args.rounds))
        b, t, a = (statistics.median(r[k]) for k in ("bare", "trainer", "app"))
        paired = [x / y for x, y in zip(r["app"], r["bare"], strict=True)]
        q1, med, q3 = statistics.quantiles(paired, n=4)
        print(
            f"{name:<14}{b:>11.1f}{t:>10.1f}{a:>10.1f}{a / b:>10.3f}{a / t:>13.3f}"
            f"{f'{med:.3f} ({q1:.2f}–{q3:.2f})':>28}{statistics.median(r['ui cores']):>10.3f}{r['threads'][0]:>9}",
            flush=True,
        )


if __name__ == "__main__":
    main()
