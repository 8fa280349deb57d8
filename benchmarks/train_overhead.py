"""Trainer.run vs a bare PyTorch loop on the same model and the same batches.

    python benchmarks/train_overhead.py [--steps 300] [--device cpu] [--presets hello,sine,...]

Each figure is the best of --repeats interleaved runs.
Target: Trainer ≥ 0.95 × bare (the telemetry, events and checks cost ≤ 5 %). The trainer runs
with its default reporting (every 0.1 s), evaluation and gradient probe turned off so both sides do
the same work; a second Trainer column keeps the probe on (its default cadence).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import FixedBatches, bare_loop, make_batches, now, spec_for, use_clock  # noqa: E402

from rnntui.core.device import resolve_device  # noqa: E402
from rnntui.core.trainer import Trainer  # noqa: E402


def trainer_rate(spec, task, batches, steps, device, probe: bool) -> float:
    spec = dataclasses.replace(spec, train=dataclasses.replace(spec.train, eval_every=10**9, steps=steps + 5))
    trainer = Trainer(spec, task=FixedBatches(task, batches), device=device)
    if not probe:
        trainer.prober.budget = 0.0  # no probe while training (the run's end still probes: not timed)
    trainer.run(steps=5)  # warm-up, as the bare loop gets
    last_report = [0.0]

    def on_event(e) -> None:
        # The clock stops at the report of the last step: the end-of-run evaluation and checkpoint
        # are not training steps, and the bare loop does neither.
        if e.kind == "progress":
            last_report[0] = now()

    t0 = now()
    trainer.run(steps=steps + 5, on_event=on_event)
    return steps / (last_report[0] - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--presets", default="hello,doubling,sine,long-memory")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall", help="cpu: process CPU time")
    args = ap.parse_args()
    use_clock(args.clock)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    device = resolve_device(args.device)
    print(
        f"device {device}, torch {torch.__version__}, threads {torch.get_num_threads()}, steps {args.steps}, "
        f"{args.clock} clock, best of {args.repeats}"
    )
    print(f"{'preset':<14}{'bare steps/s':>14}{'trainer':>10}{'ratio':>8}{'+probe':>10}{'ratio':>8}")
    for name in args.presets.split(","):
        spec = spec_for(name, args.device)
        task, batches = make_batches(spec, 64)
        bare, tr, trp = [], [], []
        for r in range(args.repeats):
            # Interleaved, order rotated each repeat, best of N (as timeit does): the machine's noise
            # only ever slows a run down, so the fastest run of each is the least disturbed.
            kinds = ("bare", "trainer", "probe")
            for k in range(3):
                kind = kinds[(k + r) % 3]
                if kind == "bare":
                    bare.append(bare_loop(spec, task, batches, args.steps, device))
                else:
                    rate = trainer_rate(spec, task, batches, args.steps, device, probe=kind == "probe")
                    (trp if kind == "probe" else tr).append(rate)
        b, t, p = max(bare), max(tr), max(trp)
        print(f"{name:<14}{b:>14.1f}{t:>10.1f}{t / b:>8.3f}{p:>10.1f}{p / b:>8.3f}")


if __name__ == "__main__":
    main()
