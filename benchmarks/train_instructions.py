"""Trainer.run vs a bare PyTorch loop, counted in CPU instructions (valgrind callgrind).

    python benchmarks/train_instructions.py [--presets hello,sine] [--steps 40,120] [--slowdown 60]

Wall-clock ratios on a shared 2-core VM swing by ±15 % between identical runs, which hides a 5 %
target. Instructions do not swing: callgrind counts the same total for the same program and
input whatever else the machine is doing. Each side (bare loop, Trainer) runs twice under
callgrind with a different number of steps on one intra-op thread (OpenMP spin-waits would add
counts that depend on timing); the difference divided by the difference in steps is the cost of
one step, with the imports, model building and warm-up cancelled out.

The trainer's own clock-driven cadences (reports ≤ 10×/s, the last-good snapshot ≤ 1/s, the
gradient probe's 4 % budget) would fire ~60× more often per step under valgrind's slowdown, so
the child divides the trainer's clock by --slowdown (the script prints the native and the
callgrind milliseconds per step: measured ~1300× for hello, so the default 500 makes those
cadences fire ~2.6× more often per step than natively, and the ratio is a lower bound).
Target: bare/trainer instructions per step ≥ 0.95. A full run takes ~30 minutes per preset.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(preset: str, side: str, steps: int, slowdown: float) -> None:
    import torch

    torch.set_num_threads(1)
    sys.path.insert(0, str(HERE))
    from common import FixedBatches, bare_loop, make_batches, spec_for

    from rnntui.core.trainer import Trainer

    def scaled_clock() -> float:
        """time, as the trainer sees it: real seconds divided by the slowdown."""
        return time.perf_counter() / slowdown

    spec = spec_for(preset)
    task, batches = make_batches(spec, 64)
    device = torch.device("cpu")
    t0 = time.perf_counter()
    if side == "bare":
        bare_loop(spec, task, batches, steps, device)
    else:
        spec = dataclasses.replace(spec, train=dataclasses.replace(spec.train, eval_every=10**9, steps=steps + 5))
        trainer = Trainer(spec, task=FixedBatches(task, batches), device=device)
        trainer.clock = scaled_clock
        trainer.run(steps=5)  # the same warm-up the bare loop takes
        last = [0.0]

        def on_event(e) -> None:
            if e.kind == "progress":  # the clock stops at the last step, not the end-of-run eval
                last[0] = time.perf_counter()

        t0 = last[0] = time.perf_counter()
        trainer.run(steps=steps + 5, on_event=on_event)
        print(f"seconds {last[0] - t0:.3f}")
        return
    print(f"seconds {time.perf_counter() - t0:.3f}")


def run_child(preset: str, side: str, steps: int, slowdown: float, callgrind: bool) -> tuple[int | None, float]:
    cmd = [sys.executable, __file__, "--child", preset, side, str(steps), str(slowdown)]
    out_file = None
    if callgrind:
        out_file = tempfile.NamedTemporaryFile(suffix=".callgrind", delete=False).name
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}", *cmd]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    seconds = float(re.search(r"seconds ([\d.]+)", proc.stdout).group(1))
    if out_file:
        Path(out_file).unlink(missing_ok=True)
        m = re.search(r"Collected : (\d+)", proc.stderr)
        return int(m.group(1)), seconds
    return None, seconds


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--presets", default="hello")
    ap.add_argument("--steps", default="40,120", help="the two step counts whose difference is measured")
    ap.add_argument("--slowdown", type=float, default=60.0, help="valgrind's slowdown, for the trainer's clock")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("needs valgrind (apt-get install valgrind)")
    lo, hi = (int(s) for s in args.steps.split(","))
    import torch

    print(f"torch {torch.__version__}, 1 intra-op thread, steps {lo} and {hi}, trainer clock ÷ {args.slowdown:g}")
    print(f"{'preset':<13}{'side':<9}{'Ir/step':>14}{'native ms/step':>16}{'valgrind ms/step':>18}")
    for preset in args.presets.split(","):
        per_step = {}
        for side in ("bare", "trainer"):
            i_lo, s_lo = run_child(preset, side, lo, args.slowdown, callgrind=True)
            i_hi, s_hi = run_child(preset, side, hi, args.slowdown, callgrind=True)
            _, n_lo = run_child(preset, side, lo, 1.0, callgrind=False)
            _, n_hi = run_child(preset, side, hi, 1.0, callgrind=False)
            per_step[side] = (i_hi - i_lo) / (hi - lo)
            native = 1000 * (n_hi - n_lo) / (hi - lo)
            under = 1000 * (s_hi - s_lo) / (hi - lo)
            print(f"{preset:<13}{side:<9}{per_step[side]:>14,.0f}{native:>16.2f}{under:>18.1f}", flush=True)
        ratio = per_step["bare"] / per_step["trainer"]
        print(f"{preset:<13}{'ratio':<9}{ratio:>14.3f}   (bare / trainer instructions per step; target ≥ 0.95)")


if __name__ == "__main__":
    main()
