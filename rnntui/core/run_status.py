"""What run.json and metrics.jsonl may hold, checked field by field (their files may be anyone's).

Measured before: one `run.json` of `[1]`, `"created": 1e300` or `"goal": {"value": "high"}` crashed
the run list, the app's Runs view and every command that listed runs. Here each field has a type and
a range; `parse_status` raises ValueError naming the first field that is wrong, and `check_record`
does the same for one metrics line (readers skip such a line with a warning).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

STATUSES = ("complete", "stopped", "diverged", "running", "interrupted", "error")
MAX_TIME = 4_102_444_800.0  # 2100-01-01: later (or earlier than 1970) is not a date rnntui wrote
MAX_STEP = 10**12
MAX_TEXT = 1000


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _count(x: Any, top: int = MAX_STEP) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and 0 <= x <= top


def _text(x: Any) -> bool:
    return isinstance(x, str) and len(x) <= MAX_TEXT


def _float_or_none(x: Any) -> float | None:
    """Metric values: a number (NaN and ±Inf included: a diverged step is logged as NaN) or none."""
    if x is None:
        return None
    if not _number(x):
        raise ValueError(f"{str(x)[:30]!r} is not a number")
    try:
        return float(x)
    except OverflowError:  # an integer past 1e308
        raise ValueError("a number out of range") from None


def _goal(g: Any) -> dict[str, Any] | None:
    if g is None:
        return None
    if not isinstance(g, Mapping):
        raise ValueError("goal is not a table")
    if not _text(g.get("metric", "")):
        raise ValueError("goal.metric is not a name")
    out: dict[str, Any] = {"metric": g.get("metric", "")}
    for key in ("threshold", "baseline", "value"):
        try:
            out[key] = _float_or_none(g.get(key))
        except ValueError:
            raise ValueError(f"goal.{key} is not a number") from None
    if g.get("direction", "max") not in ("min", "max"):
        raise ValueError("goal.direction is not min or max")
    out["direction"] = g.get("direction", "max")
    met = g.get("met")
    if met is not None and not isinstance(met, bool):
        raise ValueError("goal.met is not true or false")
    out["met"] = met
    return out


KNOWN = (
    "status",
    "created",
    "updated",
    "step",
    "pid",
    "format_version",
    "variant",
    "spec_sha256",
    "final_loss",
    "goal",
)


def parse_status(data: Any) -> dict[str, Any]:
    """run.json with every field rnntui reads checked; ValueError says which field is wrong. Other
    fields are kept as they are (nothing reads them; a later rnntui may), so a rewrite keeps them."""
    if not isinstance(data, Mapping):
        raise ValueError("run.json is not a JSON object")
    out: dict[str, Any] = {k: v for k, v in data.items() if k not in KNOWN}
    if "status" in data:
        if data["status"] not in STATUSES:
            raise ValueError(f"status {str(data['status'])[:30]!r} is not one of {', '.join(STATUSES)}")
        out["status"] = data["status"]
    for key in ("created", "updated"):
        if key in data:
            v = data[key]
            if not _number(v) or not 0 <= v <= MAX_TIME:
                raise ValueError(f"{key} {str(v)[:30]} is not a date")
            out[key] = float(v)
    for key, top in (("step", MAX_STEP), ("pid", 2**31), ("format_version", 1000)):
        if key in data:
            if not _count(data[key], top):
                raise ValueError(f"{key} {str(data[key])[:30]} is not a whole number in range")
            out[key] = data[key]
    for key in ("variant", "spec_sha256"):
        if key in data:
            if not _text(data[key]):
                raise ValueError(f"{key} is not text")
            out[key] = data[key]
    if "final_loss" in data:
        try:
            out["final_loss"] = _float_or_none(data["final_loss"])
        except ValueError:
            raise ValueError("final_loss is not a number") from None
    if "goal" in data:
        out["goal"] = _goal(data["goal"])
    return out


_STEP_FIELDS = ("loss", "grad_norm", "lr")


def check_record(rec: Any) -> dict[str, Any]:
    """One metrics.jsonl record, as readers use it: an object with an event name and, where readers
    index them, a whole step and numbers (or none). Raises ValueError."""
    if not isinstance(rec, dict) or not isinstance(rec.get("event"), str):
        raise ValueError("not an event object")
    if "step" in rec and not _count(rec["step"]):
        raise ValueError("step is not a step number")
    event = rec["event"]
    if event in ("step", "resumed", "evaluated") and "step" not in rec:
        raise ValueError("no step")
    if event == "step":
        for key in _STEP_FIELDS:
            if key not in rec:
                raise ValueError(f"no {key}")
            rec[key] = _float_or_none(rec[key])
        if not isinstance(rec.get("clipped"), bool):
            raise ValueError("clipped is not true or false")
        norms = rec.get("layer_norms", {})
        if not isinstance(norms, dict):
            raise ValueError("layer_norms is not a table")
        rec["layer_norms"] = {str(k): _float_or_none(v) for k, v in norms.items()}
    elif event == "evaluated":
        for key in ("val_loss", "metric"):
            if key in rec:
                rec[key] = _float_or_none(rec[key])
    return rec
