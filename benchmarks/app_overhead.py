"""Steps/s of a preset trained inside the running app vs the bare trainer vs a bare PyTorch loop.

    python benchmarks/app_overhead.py [--steps 600] [--presets hello,long-memory]

All three train the same model on the same batches. The app runs headless (`App.run_test`) with
the Train view visible, so its charts, metrics and event handling compete with training exactly as
on screen. Each figure is the best of --repeats runs; the clock stops when the trainer has taken
the last step. Target: app ≥ 0.95 × the bare loop.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import FixedBatches, bare_loop, make_batches, spec_for  # noqa: E402
from train_overhead import trainer_rate  # noqa: E402

from rnntui.app.app import RnnApp  # noqa: E402


async def app_rate(name: str, steps: int, batches, task) -> float:
    with tempfile.TemporaryDirectory() as runs:
        app = RnnApp(preset=name, runs_dir=runs)
        async with app.run_test(size=(120, 40)) as pilot:
            while app.session.trainer is None or not app.status.startswith("ready"):
                await asyncio.sleep(0.05)
            trainer = app.session.trainer
            trainer.task = FixedBatches(task, batches)
            trainer.spec = dataclasses.replace(
                trainer.spec, train=dataclasses.replace(trainer.spec.train, steps=steps, eval_every=10**9)
            )
            app.session.spec = trainer.spec
            await pilot.press("2")
            t0 = time.perf_counter()
            await pilot.press("space")
            while trainer.step_count < steps:  # 10 ms polling: ~0.3 % of a run of a few seconds
                await asyncio.sleep(0.01)
            rate = steps / (time.perf_counter() - t0)
            await pilot.press("q")
        return rate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--presets", default="hello,long-memory")
    args = ap.parse_args()
    device = torch.device("cpu")
    print(f"device cpu, torch {torch.__version__}, steps {args.steps}, best of {args.repeats}")
    print(f"{'preset':<14}{'bare loop':>11}{'trainer':>10}{'app':>10}{'app/bare':>10}{'app/trainer':>13}")
    for name in args.presets.split(","):
        spec = spec_for(name)
        task, batches = make_batches(spec, 64)
        bare, tr, app = [], [], []
        for _ in range(args.repeats):
            bare.append(bare_loop(spec, task, batches, args.steps, device))
            tr.append(trainer_rate(spec, task, batches, args.steps, device, probe=True))
            app.append(asyncio.run(app_rate(name, args.steps, batches, task)))
        b, t, a = max(bare), max(tr), max(app)
        print(f"{name:<14}{b:>11.1f}{t:>10.1f}{a:>10.1f}{a / b:>10.3f}{a / t:>13.3f}")


if __name__ == "__main__":
    main()
