"""Compare variants of one preset: the same seed, the same initial batches, the same data order.

Every variant is the preset with one override (`model.cell=gru`, `model.num_layers=3`, ...). The
seed is the preset's, and batches are a pure function of (seed, step), so the variants differ only
in what was varied.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rnntui.core import events as ev
from rnntui.core.errors import SpecError
from rnntui.core.runs import RunDir
from rnntui.core.spec import ExperimentSpec, parse_override, set_value, validate


@dataclass
class Variant:
    label: str  # e.g. "model.cell=gru"
    spec: ExperimentSpec


@dataclass
class VariantResult:
    label: str
    steps: int
    seconds: float
    first_loss: float | None
    final: dict
    goal: dict | None
    reason: str
    run_dir: str | None


def parse_vary(text: str) -> list[str]:
    """`model.num_layers=1,3` → ["model.num_layers=1", "model.num_layers=3"]."""
    section, key, values = parse_override(text)
    options = [v.strip() for v in values.split(",") if v.strip()]
    if len(options) < 2:
        raise SpecError(f"--vary {text!r} needs two or more values, e.g. model.num_layers=1,3")
    return [f"{section}.{key}={v}" for v in options]


def variants(spec: ExperimentSpec, overrides: Sequence[str]) -> list[Variant]:
    out = []
    for text in overrides:
        section, key, value = parse_override(text)
        v = set_value(spec, section, key, value)
        validate(v)
        out.append(Variant(text, v))
    return out


def compare(
    items: Sequence[Variant],
    runs_dir: Path | None = None,
    on_event: Callable[[str, ev.Event], None] | None = None,
    stop: threading.Event | None = None,
) -> list[VariantResult]:
    from rnntui.core.trainer import Trainer  # (parse_vary and variants are read by the app, without torch)

    results = []
    for item in items:
        trainer = Trainer(item.spec)  # built first: a variant that cannot be built leaves no run folder
        if runs_dir is not None:
            run = RunDir.create(runs_dir, item.spec)
            run.set_status("running", variant=item.label)
            trainer.attach(run)
        t0 = time.perf_counter()
        report = (lambda e, lab=item.label: on_event(lab, e)) if on_event else None
        try:
            finished = trainer.run(stop=stop, on_event=report)
        finally:
            trainer.close()
        results.append(
            VariantResult(
                item.label,
                finished.step,
                time.perf_counter() - t0,
                finished.initial_loss,
                finished.final,
                finished.goal,
                finished.reason.value,
                finished.run_dir,
            )
        )
        if stop is not None and stop.is_set():
            break
    return results
