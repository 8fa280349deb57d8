"""What the Runs view reads from disk, read in a worker thread: the runs folder's listing, the
curves of the runs overlaid, and a run's deletion. Nothing here runs on the event loop (the view
posts the result as a message), and nothing imports Textual.
"""

from __future__ import annotations

import math
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch-side modules: importing them at the top would import torch on the UI thread
    from rnntui.core.run_list import RunSummary


@dataclass(frozen=True)
class Curve:
    """A run's loss and gradient norm by step, as its metrics.jsonl logged them."""

    steps: tuple[float, ...]
    losses: tuple[float, ...]
    grad_norms: tuple[float, ...]


@dataclass(frozen=True)
class Scan:
    runs: tuple[RunSummary, ...] | None  # None: not listed again (only curves were asked for)
    problems: tuple[str, ...]
    curves: dict[Path, Curve]


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else math.nan  # a NaN is logged as null


def read_curve(path: Path) -> Curve:
    from rnntui.core.run_history import clean_metrics
    from rnntui.core.runs import RunDir

    try:
        records, _ = clean_metrics(RunDir(path))
    except OSError:  # unreadable now (deleted meanwhile, no permission): no curve, the listing says why
        records = []
    steps = [r for r in records if r.get("event") == "step"]
    return Curve(
        tuple(float(r["step"]) for r in steps),
        tuple(_number(r.get("loss")) for r in steps),
        tuple(_number(r.get("grad_norm")) for r in steps),
    )


class CurveCache:
    """Curves by run, read again only when the run's metrics.jsonl changed (its size or time)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # two scans may overlap (a newer one does not wait for the older)
        self._curves: dict[Path, tuple[tuple[int, int], Curve]] = {}

    def get(self, path: Path) -> Curve:
        try:
            st = (path / "metrics.jsonl").stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = (0, 0)
        with self._lock:
            kept = self._curves.get(path)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        curve = read_curve(path)
        with self._lock:
            self._curves[path] = (stamp, curve)
        return curve


def scan(
    base: Path | None, selected: frozenset[Path], cache: CurveCache, runs: tuple[RunSummary, ...] | None = None
) -> Scan:
    """The runs under `base` (unless `runs` are given: then only curves are read) and the curves of
    the `selected` ones that are listed; whatever goes wrong is said, as a problem line."""
    try:
        return _scan(base, selected, cache, runs)
    except Exception as exc:  # a worker's error would otherwise vanish: the view says it instead
        return Scan(None, (f"the runs folder could not be read: {type(exc).__name__}: {exc}",), {})


def _scan(base: Path | None, selected: frozenset[Path], cache: CurveCache, runs: tuple[RunSummary, ...] | None) -> Scan:
    problems: tuple[str, ...] = ()
    listed = runs
    if listed is None:
        from rnntui.core.run_list import list_runs

        found, lines = list_runs(base)
        listed, problems = tuple(found), tuple(lines)
    curves = {r.path: cache.get(r.path) for r in listed if r.path in selected}
    return Scan(None if runs is not None else listed, problems, curves)


def delete_run(path: Path) -> str | None:
    """Delete a run's folder; the reason it could not be, or None."""
    try:
        shutil.rmtree(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{path.name}: {exc.strerror or type(exc).__name__}"
    return None
