"""Training with and without the gradient-through-time probe at its default cadence.

    python benchmarks/gradflow_overhead.py [--steps 400] [--presets long-memory,hello]

The trainer schedules the probe so it takes ≤ 4 % of training time (it measures each probe and
waits 25× that long before the next). Target: ≤ 5 % slower than training without it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import make_batches, spec_for  # noqa: E402
from train_overhead import trainer_rate  # noqa: E402

from rnntui.core.device import resolve_device  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--presets", default="hello,sine,long-memory")
    args = ap.parse_args()
    device = resolve_device(args.device)
    print(f"device {device}, torch {torch.__version__}, steps {args.steps}, best of {args.repeats}")
    print(f"{'preset':<14}{'no probe':>10}{'probe':>10}{'slower':>9}")
    for name in args.presets.split(","):
        spec = spec_for(name, args.device)
        task, batches = make_batches(spec, 64)
        off, on = [], []
        for r in range(args.repeats):  # interleaved, order alternating, best of N
            pair = [(off, False), (on, True)] if r % 2 == 0 else [(on, True), (off, False)]
            for store, probe in pair:
                store.append(trainer_rate(spec, task, batches, args.steps, device, probe=probe))
        a, b = max(off), max(on)
        print(f"{name:<14}{a:>10.1f}{b:>10.1f}{(a / b - 1) * 100:>8.1f}%")


if __name__ == "__main__":
    main()
