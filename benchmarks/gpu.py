"""Steps per second of every shipped preset on a device: the app's trainer vs a bare PyTorch loop.

    python benchmarks/gpu.py [--device cuda] [--steps 300] [--repeats 3] [--presets hello,char-lm,...]

Both sides train the same model on the same batches on the same device (common.py's BareLoop: forward,
loss, backward, clip, step; the trainer with its reports every 0.1 s, evaluation and probe off, as in
train_overhead.py). Target: trainer ≥ 0.95 × bare. The header names the GPU, torch, CUDA and the date,
so a figure pasted into the README says where it came from. `--device` defaults to CUDA where it is
available and falls back to the CPU, saying so; `--device cpu` runs anywhere (tests/test_cuda.py).
"""

from __future__ import annotations

import argparse
import datetime
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import bare_loop, make_batches, spec_for  # noqa: E402
from train_overhead import trainer_rate  # noqa: E402

from rnntui.core.device import describe_device, resolve_device  # noqa: E402
from rnntui.core.presets import builtin_dir  # noqa: E402

TARGET = 0.95


@dataclass(frozen=True)
class Row:
    preset: str
    bare: float  # steps/s, best of the repeats
    trainer: float

    @property
    def ratio(self) -> float:
        return self.trainer / self.bare


def pick_device(asked: str | None) -> tuple[torch.device, str | None]:
    """The device to measure on, and a note when it is not the one asked for (no CUDA here)."""
    if asked in (None, "cuda") and not torch.cuda.is_available():
        return resolve_device("cpu"), "no CUDA GPU is visible (torch.cuda.is_available() is False): on the CPU"
    return resolve_device(asked or "cuda"), None


def shipped_presets() -> list[str]:
    return sorted(p.stem for p in builtin_dir().glob("*.toml"))


def measure(preset: str, device: torch.device, steps: int, repeats: int) -> Row:
    """Best of `repeats` interleaved runs of each side, the order alternating (A/B, B/A): noise only
    ever slows a run down, so the fastest of each is the least disturbed."""
    spec = spec_for(preset, device.type)
    task, batches = make_batches(spec, 16)
    bare, trainer = [], []
    for r in range(repeats):
        for kind in ("bare", "trainer") if r % 2 == 0 else ("trainer", "bare"):
            if kind == "bare":
                bare.append(bare_loop(spec, task, batches, steps, device))
            else:
                trainer.append(trainer_rate(spec, task, batches, steps, device, probe=False))
    return Row(preset, max(bare), max(trainer))


def header(device: torch.device, steps: int, repeats: int) -> list[str]:
    cuda = torch.version.cuda or "none (a CPU build of torch)"
    cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    lines = [
        f"date {datetime.date.today().isoformat()}, device {describe_device(device)}",
        f"torch {torch.__version__}, CUDA {cuda}, cuDNN {cudnn or 'none'}",
        f"steps {steps}, best of {repeats} interleaved runs; target: trainer ≥ {TARGET} × bare",
    ]
    if device.type == "cpu":
        lines.append(f"CPU threads {torch.get_num_threads()}")
    return lines


def table(rows: Sequence[Row]) -> list[str]:
    lines = [f"{'preset':<14}{'bare steps/s':>14}{'trainer':>10}{'ratio':>8}  target {TARGET}"]
    for r in rows:
        verdict = "met" if r.ratio >= TARGET else "MISSED"
        lines.append(f"{r.preset:<14}{r.bare:>14.1f}{r.trainer:>10.1f}{r.ratio:>8.3f}  {verdict}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", choices=("cuda", "cpu", "mps"), help="default: cuda where available, else cpu")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--presets", default=",".join(shipped_presets()))
    args = ap.parse_args(argv)
    device, note = pick_device(args.device)
    if note:
        print(f"gpu.py: {note}", file=sys.stderr)
    for line in header(device, args.steps, args.repeats):
        print(line)
    print(table([])[0])
    for name in args.presets.split(","):
        print(table([measure(name, device, args.steps, args.repeats)])[1], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
