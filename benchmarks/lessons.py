"""Train every lesson preset headless and check its goal; then the contrast runs.

    python benchmarks/lessons.py [--presets hello,sine] [--budget 120] [--no-contrasts]

Each run uses the preset's defaults on the CPU and is stopped after --budget seconds of wall
time (the lessons promise their goal within 120 s on a 2-core CPU). The table shows the steps
taken, the seconds, the goal metric at the end, the goal, and whether it was met; a contrast
run shows the setting that *should* fall short (e.g. a unidirectional river-bank tagger).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

import torch
from map_lessons import MAP_LESSONS, map_lines

from rnntui.core import events as ev
from rnntui.core.presets import discover, resolve, sorted_entries
from rnntui.core.spec import apply_overrides, set_value
from rnntui.core.trainer import Trainer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from saliency import lesson_row  # noqa: E402  (long-memory: are the marked values the top-2 salient?)

CONTRASTS = {
    "river-bank": ["model.bidirectional=false"],
    "long-memory": ["model.cell=rnn_tanh"],
    "exploding": ["train.clip_norm=none"],
    "deep-stack": ["model.num_layers=1"],
    "cat-sat": ["model.cell=rnn_tanh"],
    "attention": ["model.attention=none"],
}
# A contrast's own promise where the lesson states one (issue 16: without attention, exact match ≤ 40 %).
CONTRAST_CEILING = {"attention": 0.40}


def train(name: str, overrides: list[str], budget: float) -> dict:
    spec = set_value(apply_overrides(resolve(name), overrides), "train", "device", "cpu")
    trainer = Trainer(spec)
    stop = threading.Event()
    timer = threading.Timer(budget, stop.set)
    seen: dict = {"goal_step": None, "goal_s": None, "diverged": None}
    t0 = time.perf_counter()

    def on_event(e: ev.Event) -> None:
        if isinstance(e, ev.GoalReached) and seen["goal_step"] is None:
            seen["goal_step"], seen["goal_s"] = e.step, time.perf_counter() - t0
        if isinstance(e, ev.Diverged):
            seen["diverged"] = e.step

    timer.start()
    try:
        finished = trainer.run(stop=stop, on_event=on_event)
    finally:
        timer.cancel()
    return {"finished": finished, "seconds": time.perf_counter() - t0, "trainer": trainer, **seen}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--presets", default="")
    ap.add_argument("--budget", type=float, default=120.0)
    ap.add_argument("--no-contrasts", action="store_true")
    args = ap.parse_args()
    torch.manual_seed(0)
    names = args.presets.split(",") if args.presets else [e.name for e in sorted_entries(discover()) if e.spec]
    runs = [(n, []) for n in names]
    if not args.no_contrasts:
        runs += [(n, CONTRASTS[n]) for n in names if n in CONTRASTS]
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, budget {args.budget:.0f} s per run")
    header = (
        f"{'preset':<13}{'variant':<28}{'steps':>6}{'sec':>7}  {'metric':<20}{'value':>9}  "
        f"{'goal':<9}{'met':<5}{'reached at':>12}"
    )
    print(header)
    for name, overrides in runs:
        r = train(name, overrides, args.budget)
        f = r["finished"]
        g = f.goal or {}
        value = g.get("value")
        sign = "≥" if g.get("direction") == "max" else "≤"
        reached = f"{r['goal_step']} / {r['goal_s']:.0f}s" if r["goal_step"] is not None else "-"
        if r["diverged"] is not None:
            reached = f"diverged@{r['diverged']}"
        variant = " ".join(overrides) or "(preset)"
        shown = "n/a" if value is None else f"{value:.4g}"
        ceiling = CONTRAST_CEILING.get(name) if overrides else None
        if ceiling is not None:  # a contrast that must stay low: "met" says it did
            g = {**g, "threshold": ceiling, "direction": "min", "met": value is not None and value <= ceiling}
            sign = "≤"
        print(
            f"{name:<13}{variant:<28}{f.step:>6}{r['seconds']:>7.1f}  {g.get('metric', ''):<20}{shown:>9}  "
            f"{sign}{g.get('threshold', 0):<8g}{'yes' if g.get('met') else 'no':<5}{reached:>12}",
            flush=True,
        )
        if name in MAP_LESSONS and not overrides:
            print("\n".join(map_lines(name, r["trainer"])), flush=True)
        if name == "long-memory":
            trainer = r["trainer"]
            trainer.model.eval()
            print(f"{'':<13}saliency: {lesson_row(trainer, trainer.spec.model.cell, r['seconds'])}", flush=True)


if __name__ == "__main__":
    main()
