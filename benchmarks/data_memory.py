"""Peak memory of training on your own text: the largest file allowed against the 1 GB target.

    python benchmarks/data_memory.py [--mb 20] [--steps 2]

Each figure is the peak resident set (VmHWM from /proc/self/status, else ru_maxrss) of a fresh
process: a bare `import torch`, then `rnntui train char-lm --set task.path=FILE --steps N` on a
generated text of --mb megabytes (default: the cap, 20 MB; a larger file is cut to it). Measured
before the caps: a 49 MB text took 3.3 GB. Target: ≤ 1000 MB for the largest allowed file.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

TARGET_MB = 1000

PEAK = """
import resource, sys
if sys.argv[1] == "torch":
    import torch  # noqa: F401
    rc = 0
else:
    from rnntui.cli import main
    rc = main(sys.argv[2:])
try:
    hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
    peak = int(hwm.split()[1]) // 1024
except OSError:  # macOS: ru_maxrss is in bytes there
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // (1 << 20)
sys.stderr.write(f"PEAK {peak}\\n")
raise SystemExit(rc)
"""


def peak_mb(*args: str) -> int:
    out = subprocess.run([sys.executable, "-c", PEAK, *args], capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise SystemExit(f"failed: {out.stderr[-2000:]}")
    return int(out.stderr.rsplit("PEAK ", 1)[1])


def write_text(path: Path, mb: float) -> None:
    line = "the quick brown fox jumps over the lazy dog, then sleeps. 0123456789\n"
    with open(path, "w") as fh:
        fh.write(line * int(mb * 1_000_000 / len(line) + 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=20.0, help="size of the generated text (MB)")
    parser.add_argument("--steps", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        text = Path(tmp) / "text.txt"
        write_text(text, args.mb)
        bare = peak_mb("torch")
        train = peak_mb(
            "cli", "train", "char-lm", "--set", f"task.path={text}", "--steps", str(args.steps), "--json",
            "--runs-dir", str(Path(tmp) / "runs"),
        )  # fmt: skip
    print(f"import torch                         peak RSS {bare:5d} MB")
    print(f"train char-lm on {args.mb:g} MB of text      peak RSS {train:5d} MB   (target ≤ {TARGET_MB} MB)")
    print(f"of which the text and its tensors    ~{train - bare:4d} MB")
    print("met" if train <= TARGET_MB else "NOT MET")


if __name__ == "__main__":
    main()
