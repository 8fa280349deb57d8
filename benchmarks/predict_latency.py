"""Cost of one keystroke in the predictor: incremental vs re-running the whole prefix.

    python benchmarks/predict_latency.py [--presets hello,doubling,sine,long-memory]

Models are the presets' architectures at their seeded initial weights (latency does not depend
on training). For each prefix length n, "incremental" is feeding a prefix of n tokens after one of
n-1 tokens (one new step); "full" is a fresh predictor feeding all n. Target: incremental median
≤ 2 ms on the CPU.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import spec_for  # noqa: E402

from rnntui.core.experiment import build  # noqa: E402
from rnntui.core.predictor import Predictor  # noqa: E402

SAMPLE = {
    "hello": "HELLO WORLD LSTM MEMORY STATE ",
    "char-lm": "the cat saw the red ball near the sea. ",
    "doubling": " ".join(str(2 + 3 * i) for i in range(40)) + " ",
    "sine": " ".join(f"{v:.2f}" for v in torch.sin(torch.arange(60) * 0.3).tolist()) + " ",
    "long-memory": "0.5 0.2* 0.7 0.1 0.9 0.3* 0.4 0.6 ",
}


def prefixes(name: str, task, n: int) -> list[str]:
    text = SAMPLE.get(name, "the dog sees a cat ")
    while len(task.tokenize(text)) < n + 1:
        text += text
    toks = task.tokenize(text)
    return [text[: toks[k - 1].end] for k in range(1, n + 1)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--presets", default="hello,doubling,sine,long-memory")
    ap.add_argument("--lengths", default="1,10,50,100,200")
    args = ap.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    lengths = [int(x) for x in args.lengths.split(",")]
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}; times in ms (median of repeats)")
    print(f"{'preset':<13}{'tokens':>7}{'incremental':>13}{'full re-run':>13}{'speed-up':>10}")
    for name in args.presets.split(","):
        task, model = build(spec_for(name))
        texts = prefixes(name, task, max(lengths))
        for n in lengths:
            inc, full = [], []
            for _ in range(15):
                p = Predictor(model, task)
                if n > 1:
                    p.feed(texts[n - 2])
                t0 = time.perf_counter()
                p.feed(texts[n - 1])
                inc.append(time.perf_counter() - t0)
                fresh = Predictor(model, task)
                t0 = time.perf_counter()
                fresh.feed(texts[n - 1])
                full.append(time.perf_counter() - t0)
            i, f = statistics.median(inc) * 1e3, statistics.median(full) * 1e3
            print(f"{name:<13}{n:>7}{i:>13.3f}{f:>13.3f}{f / i:>9.1f}×")


if __name__ == "__main__":
    main()
