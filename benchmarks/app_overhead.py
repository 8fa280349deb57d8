"""Steps/s of a preset trained inside the running app vs the bare trainer vs a bare PyTorch loop.

    python benchmarks/app_overhead.py [--steps 300] [--rounds 9] [--presets hello,char-lm]

All three train the same model on the same batches (a task's batches are a pure function of the
step and the seed): a bare loop and a Trainer each in a worker process of their own, and the app,
headless (`App.run_test`) in this process with the Train view on screen, training in its own
process as it always does, its charts, metrics and event handling running as on screen. Public
seams only: the app gets the preset as a user preset file (evaluation off, steps without end) and
is driven with its keys; its rate is the training process's own count of steps and seconds
(`TrainingState.step` and `.elapsed`: paused time is not counted).

This VM's speed drifts by ±20 % within seconds, so one long run of each says little. Instead the
three take turns, --rounds times, each training --steps steps per turn (the order rotates), and
the table shows medians and the median of the per-round app/bare ratios (UI cores: this process's
CPU use while the app trains). Target: app ≥ 0.95 × the bare loop.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import hand_written_optimizer, spec_for  # noqa: E402

WARMUP_STEPS = 50
HUGE = 10**9
TARGET = 0.95


def bench_spec(name: str):
    """The preset with evaluation off and no end (the bare loop evaluates nothing either)."""
    spec = spec_for(name)
    train = dataclasses.replace(spec.train, steps=HUGE, eval_every=HUGE)
    return dataclasses.replace(spec, name=f"bench-{name}", train=train, goal=None)


# ---- workers: one process each, a turn per line on stdin -----------------------------------------
def worker(kind: str, name: str) -> None:
    import torch

    from rnntui.core.experiment import build_model, build_task
    from rnntui.core.threads import training_threads
    from rnntui.core.trainer import Trainer

    spec = bench_spec(name)
    torch.set_num_threads(training_threads(spec))  # as the app's training process does
    if kind == "bare":
        task = build_task(spec.task)
        model = build_model(spec, task)
        opt = hand_written_optimizer(spec.train.optimizer, model.parameters(), spec.train.lr, torch.device("cpu"))
        done = [0]

        def turn(steps: int) -> float:
            t0, losses = time.perf_counter(), []
            for _ in range(steps):
                b = task.train_batch(done[0], spec.train.batch_size, spec.train.seed)
                done[0] += 1
                opt.zero_grad(set_to_none=True)
                loss = model.loss(model(b), b)
                loss.backward()
                if spec.train.clip_norm is not None:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), spec.train.clip_norm)
                opt.step()
                losses.append(loss.detach())
            torch.stack(losses).cpu()  # a bare loop, too, reads its losses at the end
            return steps / (time.perf_counter() - t0)
    else:
        trainer = Trainer(spec)

        def turn(steps: int) -> float:
            s0, e0 = trainer.step_count, trainer.elapsed
            trainer.run_until(lambda: False, None, every_s=0.4, steps=trainer.step_count + steps)
            return (trainer.step_count - s0) / (trainer.elapsed - e0)

    turn(5)
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
class AppTurns:
    """Trains the app in turns with its own keys: space, until `steps` more, space (pause)."""

    def __init__(self, app, pilot) -> None:
        self.app, self.pilot, self.changed = app, pilot, asyncio.Event()
        app.watch(app, "training", lambda _state: self.changed.set(), init=False)

    async def until(self, cond) -> None:
        while not cond():  # woken by each new state, not polling
            self.changed.clear()
            await self.changed.wait()

    async def turn(self, steps: int) -> tuple[float, float]:
        from rnntui.app.state import Phase

        s = self.app.training
        s0, e0, cpu0, t0 = s.step, s.elapsed, time.process_time(), time.perf_counter()
        await self.pilot.press("space")
        await self.until(lambda: self.app.training.step >= s0 + steps)
        await self.pilot.press("space")
        await self.until(lambda: self.app.training.phase is Phase.PAUSED)
        s = self.app.training
        ui_cores = (time.process_time() - cpu0) / (time.perf_counter() - t0)
        return (s.step - s0) / (s.elapsed - e0), ui_cores


async def rounds_with_app(name: str, steps: int, rounds: int) -> dict[str, list[float]]:
    from rnntui.app.app import RnnApp
    from rnntui.app.state import Phase
    from rnntui.core.tomlwrite import spec_to_toml

    workers = {"bare": Worker("bare", name), "trainer": Worker("trainer", name)}
    rates: dict[str, list[float]] = {"bare": [], "trainer": [], "app": [], "ui cores": []}
    with tempfile.TemporaryDirectory() as tmp:
        presets = Path(tmp) / "presets"
        presets.mkdir()
        (presets / f"bench-{name}.toml").write_text(spec_to_toml(bench_spec(name)))
        os.environ["RNNTUI_PRESETS_DIR"] = str(presets)
        app = RnnApp(preset=f"bench-{name}", runs_dir=str(Path(tmp) / "runs"))
        async with app.run_test(size=(120, 40)) as pilot:
            turns = AppTurns(app, pilot)
            await turns.until(lambda: app.views_ready and app.training.phase is Phase.READY)
            await pilot.press("2")
            threads = app.training.threads

            async def turn(kind: str, n: int) -> float:
                if kind == "app":
                    rate, ui = await turns.turn(n)
                    rates["ui cores"].append(ui)
                    return rate
                return await asyncio.to_thread(workers[kind].turn, n)

            kinds = ["bare", "trainer", "app"]
            for kind in kinds:
                await turn(kind, WARMUP_STEPS)
            rates["ui cores"].clear()
            for r in range(rounds):
                for kind in kinds[r % 3 :] + kinds[: r % 3]:
                    rates[kind].append(await turn(kind, steps))
            await pilot.press("q")
        # Its training process saves the run after the app has left (as `rnntui` waits for it):
        # removing the folder meanwhile failed ("Directory not empty") in one run of two.
        app.wait_saved(15)
    for w in workers.values():
        w.close()
    rates["threads"] = [threads]
    return rates


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=300, help="steps per turn")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--presets", default="hello,char-lm")
    args = ap.parse_args()
    import torch

    print(f"device cpu, torch {torch.__version__}, {os.cpu_count()} cores, {args.rounds} rounds of {args.steps} steps")
    print(
        f"{'preset':<10}{'bare loop':>11}{'trainer':>10}{'app':>10}{'app/bare':>10}"
        f"{'per-round app/bare (IQR)':>28}{'target':>8}{'UI cores':>10}{'threads':>9}"
    )
    for name in args.presets.split(","):
        r = asyncio.run(rounds_with_app(name, args.steps, args.rounds))
        b, t, a = (statistics.median(r[k]) for k in ("bare", "trainer", "app"))
        paired = [x / y for x, y in zip(r["app"], r["bare"], strict=True)]
        q1, med, q3 = statistics.quantiles(paired, n=4)
        print(
            f"{name:<10}{b:>11.1f}{t:>10.1f}{a:>10.1f}{a / b:>10.3f}{f'{med:.3f} ({q1:.2f}–{q3:.2f})':>28}"
            f"{f'≥{TARGET}':>8}{statistics.median(r['ui cores']):>10.3f}{r['threads'][0]:>9}",
            flush=True,
        )


if __name__ == "__main__":
    main()
