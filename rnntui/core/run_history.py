"""A run's past, read back from its metrics.jsonl: the records a resumed run continues, and the
events they were, so an opened run's curves come back in the Train view as if it had just trained.

The records were checked field by field when read (run_status.py); a record that cannot be an event
is left out, never guessed at.
"""

from __future__ import annotations

import math
from typing import Any

from rnntui.core import events as ev
from rnntui.core.runs import RunDir

MAX_POINTS = 200_000  # the curves of the longest runs a person trains here; older steps are dropped


def clean_metrics(run: RunDir) -> tuple[list[dict[str, Any]], list[str]]:
    """Records in order; steps logged after a run's last checkpoint and then resumed are dropped."""
    records, warnings = run.read_metrics()
    out: list[dict[str, Any]] = []
    for r in records:
        if r.get("event") == "resumed":
            cut = r.get("step", 0)
            out = [x for x in out if x.get("step", 0) <= cut]
        out.append(r)
    return out, warnings


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else math.nan  # a NaN was logged as null


def _point(r: dict[str, Any]) -> ev.StepPoint:
    norms = r.get("layer_norms") if isinstance(r.get("layer_norms"), dict) else {}
    layers = {str(k): _number(v) for k, v in norms.items()}
    clipped = bool(r.get("clipped", False))
    return ev.StepPoint(
        int(r["step"]), _number(r.get("loss")), _number(r.get("grad_norm")), clipped, layers, _number(r.get("lr"))
    )


def _evaluated(r: dict[str, Any]) -> ev.Evaluated | None:
    metrics = r.get("metrics") if isinstance(r.get("metrics"), dict) else {}
    samples = [s for s in r.get("samples") or [] if isinstance(s, str)]
    try:
        return ev.Evaluated(
            int(r["step"]),
            _number(r.get("val_loss")),
            str(r.get("metric_name", "")),
            _number(r.get("metric")),
            {str(k): _number(v) for k, v in metrics.items()},
            samples,
        )
    except (KeyError, TypeError, ValueError):
        return None


def _flow(r: dict[str, Any]) -> ev.GradientFlow | None:
    norms = r.get("norms")
    if not isinstance(norms, dict) or not all(isinstance(v, list) for v in norms.values()):
        return None
    return ev.GradientFlow(int(r["step"]), {str(k): [_number(x) for x in v] for k, v in norms.items()}, 0.0)


def past_events(run: RunDir, upto: int) -> list[ev.Event]:
    """The run's steps (one Progress), evaluations and gradient probes up to step `upto` (the
    checkpoint's), in the order the app's state takes them."""
    records, _ = clean_metrics(run)
    records = [r for r in records if isinstance(r.get("step"), int) and r["step"] <= upto]
    points = [_point(r) for r in records if r.get("event") == "step"][-MAX_POINTS:]
    out: list[ev.Event] = []
    if points:
        out.append(ev.Progress(points, 0.0, 0.0, 0.0))
    for r in records:
        kind = r.get("event")
        e = _evaluated(r) if kind == "evaluated" else _flow(r) if kind == "gradient_flow" else None
        if e is not None:
            out.append(e)
    return out
