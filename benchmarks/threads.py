"""Intra-op threads for training: 1, 2 and a measuring tuner, per preset, and what a fixed rule picks.

    python benchmarks/threads.py [--presets hello,long-memory,char-lm,doubling,sentiment] [--rounds 7] [--seconds 1.5]

Each column is a Trainer in a worker process of its own, as the app trains (its child process sets its
thread count once, at start): "1" and "2" fix the count; "tuned" starts with torch's default (all cores)
and, in its first turn, runs the trial of the measuring tuner that core/threads.py's rule replaced:
blocks of ≥ 0.08 s and ≥ 3 steps, all cores then one, 3 rounds, median per count, one thread kept
only if ≥ 3 % faster. "rule" is
`core/threads.py: training_threads()`, computed from the spec; its rate is the measured column of the
count it picks. The workers take turns, --rounds times, each training --seconds per turn with the
order rotating (this shared VM's speed drifts by ±20 % within seconds); the table shows the median and
the best turn of each column in steps/s (other tenants' load only ever slows a turn down, and it slows
two threads down far more than one: the best turn is the nearest to a quiet machine). Evaluation is
off (eval_every huge); the gradient probe runs on its budget, as in the app.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import statistics
import subprocess
import sys
import time

TRIAL_BLOCK_S = 0.08
TRIAL_ROUNDS = 3
TRIAL_MIN_GAIN = 0.03
HUGE = 10**9


def worker(kind: str, name: str) -> None:
    import torch

    if kind != "tuned":
        torch.set_num_threads(int(kind))
    from rnntui.core.presets import resolve
    from rnntui.core.spec import set_value
    from rnntui.core.trainer import Trainer

    spec = set_value(resolve(name), "train", "device", "cpu")
    spec = dataclasses.replace(spec, train=dataclasses.replace(spec.train, eval_every=HUGE, steps=HUGE))
    trainer = Trainer(spec)
    last = {"t": 0.0}

    def on_event(e) -> None:
        if e.kind == "progress":
            last["t"] = time.perf_counter()

    def turn(seconds: float) -> float:
        """Train for about `seconds`; steps per second up to the last step's report."""
        first, t0 = trainer.step_count, time.perf_counter()
        trainer.run_until(lambda: time.perf_counter() - t0 >= seconds, on_event, every_s=0.4, steps=HUGE)
        return (trainer.step_count - first) / (last["t"] - t0)

    if kind == "tuned":
        trial(trainer, on_event)
    turn(0.5)  # warm-up
    print("ready", torch.get_num_threads(), flush=True)
    for line in sys.stdin:
        print(turn(float(line)), flush=True)


def trial(trainer, on_event) -> None:
    """The tuner's trial on real training steps: interleaved blocks, all cores vs one, medians."""
    import torch

    most = torch.get_num_threads()
    if most == 1:
        return
    times: dict[int, list[float]] = {most: [], 1: []}
    for n in [most, 1] * TRIAL_ROUNDS:
        torch.set_num_threads(n)
        t0 = time.perf_counter()
        trainer.run_until(lambda: False, on_event, every_s=HUGE, steps=trainer.step_count + 1)  # the switch
        k = max(3, math.ceil(TRIAL_BLOCK_S / max(time.perf_counter() - t0, 1e-6)))
        t0 = time.perf_counter()
        trainer.run_until(lambda: False, on_event, every_s=HUGE, steps=trainer.step_count + k)
        times[n].append((time.perf_counter() - t0) / k)
    one, all_ = statistics.median(times[1]), statistics.median(times[most])
    torch.set_num_threads(1 if one < all_ * (1 - TRIAL_MIN_GAIN) else most)


class Worker:
    def __init__(self, kind: str, name: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", kind, name], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        ready, threads = self.proc.stdout.readline().split()
        assert ready == "ready"
        self.threads = int(threads)

    def turn(self, seconds: float) -> float:
        self.proc.stdin.write(f"{seconds}\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(60)


def measure(name: str, rounds: int, seconds: float) -> tuple[dict[str, list[float]], int]:
    workers = {k: Worker(k, name) for k in ("1", "2", "tuned")}
    rates: dict[str, list[float]] = {k: [] for k in workers}
    kinds = list(workers)
    for r in range(rounds):
        for k in kinds[r % 3 :] + kinds[: r % 3]:
            rates[k].append(workers[k].turn(seconds))
    for w in workers.values():
        w.close()
    return rates, workers["tuned"].threads


def rule_threads(name: str) -> tuple[int, str]:
    from rnntui.core.presets import resolve
    from rnntui.core.threads import step_work, training_threads

    spec = resolve(name)
    return training_threads(spec), f"{step_work(spec) / 1e6:.1f}M"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--presets", default="hello,long-memory,char-lm,doubling,sentiment")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--seconds", type=float, default=1.5, help="about how long one turn trains")
    args = ap.parse_args()
    import torch

    print(
        f"torch {torch.__version__}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
        f"{args.rounds} rounds of {args.seconds:g} s per column; steps/s, the median and the best round"
    )
    print(
        f"{'preset':<13}{'':<7}{'work':>7}{'1 thread':>10}{'2 threads':>11}{'tuned':>8}{'(n)':>4}{'rule':>8}{'(n)':>4}"
        f"{'2/1':>7}{'tuned/best':>12}{'rule/tuned':>12}"
    )
    for name in args.presets.split(","):
        rates, tuned_n = measure(name, args.rounds, args.seconds)
        rule_n, work = rule_threads(name)
        for label, pick in (("median", statistics.median), ("best", max)):
            m = {k: pick(v) for k, v in rates.items()}
            rule = m[str(min(rule_n, 2))]
            print(
                f"{name:<13}{label:<7}{work:>7}{m['1']:>10.1f}{m['2']:>11.1f}{m['tuned']:>8.1f}{tuned_n:>4}"
                f"{rule:>8.1f}{rule_n:>4}{m['2'] / m['1']:>7.2f}{m['tuned'] / max(m['1'], m['2']):>12.2f}"
                f"{rule / m['tuned']:>12.2f}",
                flush=True,
            )
    print(f"load at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
