"""Every run under a folder, for the Runs view and `rnntui runs`; a broken one never hides the others.

Each folder is read with the checks of runs.py and run_status.py; a folder that fails them is listed
as unreadable, with the reason, and the others are listed as usual. Listing opens no checkpoint (that
would touch every run's weights): a spec.toml changed after the run was made is found by the sha256
that run.json keeps of it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnntui.core.checkpoint import CHECKPOINT, FORMAT_VERSION
from rnntui.core.errors import RunError, SpecError
from rnntui.core.fileio import read_regular
from rnntui.core.run_lock import holder
from rnntui.core.run_status import parse_status
from rnntui.core.runs import MAX_SMALL_FILE, RunDir, default_runs_dir
from rnntui.core.spec import CELLS, PATTERNS

MAX_FOLDERS = 10_000  # a runs folder with more entries is listed up to here, with a note


@dataclass
class RunSummary:
    path: Path
    name: str
    cell: str
    bidirectional: bool
    layers: int
    hidden: int
    steps: int
    metric: str
    value: float | None
    goal_met: bool | None
    created: float
    status: str  # complete | stopped | diverged | running | interrupted | error


@dataclass
class Unreadable:
    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path.name}: unreadable: {self.reason}"


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True  # EPERM: it exists, as someone else
    return True


def read_summary(path: Path) -> RunSummary:
    """One run folder's row; raises RunError with the reason it cannot be listed."""
    run = RunDir(path)
    spec = run.spec()
    st: dict[str, Any] = {}
    if os.path.lexists(path / "run.json"):
        try:
            st = parse_status(json.loads(read_regular(path / "run.json", MAX_SMALL_FILE, "run.json")))
        except SpecError as exc:  # not a regular file, too large
            raise RunError(str(exc)) from None
        except (ValueError, RecursionError) as exc:  # not JSON, or a field out of type or range
            raise RunError(f"run.json: {str(exc)[:200]}") from None
    if st.get("format_version", FORMAT_VERSION) != FORMAT_VERSION:
        raise RunError(
            f"written by run format {st.get('format_version')}; this rnntui reads format {FORMAT_VERSION}: "
            "open it with the rnntui version that wrote it, or train it again"
        )
    sha = st.get("spec_sha256")
    if sha is not None and hashlib.sha256(run.spec_text()).hexdigest() != sha:
        raise RunError("spec.toml was changed after the run was made: it no longer describes the checkpoint")
    status = st.get("status", "interrupted")
    if status == "running" and holder(path) is None and not _alive(st.get("pid")):
        status = "interrupted"  # killed mid-training: it resumes from its last checkpoint
    if status in ("complete", "stopped", "diverged") and not (path / CHECKPOINT).is_file():
        raise RunError(f"its status is {status} but it has no {CHECKPOINT}")
    if spec.model.cell not in CELLS or spec.model.pattern not in PATTERNS:  # typed but not validated yet
        raise RunError(f"its spec.toml names no known cell or pattern ({spec.model.cell!r}, {spec.model.pattern!r})")
    goal = st.get("goal") or {}
    try:
        created = st.get("created", path.stat().st_mtime)
    except OSError:
        created = 0.0
    return RunSummary(
        path=path,
        name=spec.name,
        cell=spec.model.cell,
        bidirectional=spec.model.bidirectional,
        layers=spec.model.num_layers,
        hidden=spec.model.hidden_size,
        steps=st.get("step", 0),
        metric=goal.get("metric", ""),
        value=goal.get("value"),
        goal_met=goal.get("met"),
        created=float(created),
        status=status,
    )


def scan_runs(base: Path | None = None) -> tuple[list[RunSummary], list[Unreadable]]:
    """Every run under `base`, newest first, and every run folder that cannot be listed, with why."""
    base = Path(base) if base is not None else default_runs_dir()
    runs: list[RunSummary] = []
    broken: list[Unreadable] = []
    try:
        entries = sorted(os.scandir(base), key=lambda e: e.name, reverse=True)[:MAX_FOLDERS]
    except OSError:
        return runs, broken
    for entry in entries:
        path = Path(entry.path)
        try:
            if not entry.is_dir() or not (path / "spec.toml").exists():
                continue
            runs.append(read_summary(path))
        except RunError as exc:
            reason = str(exc).replace(str(path / "spec.toml"), "spec.toml").replace(str(path) + "/", "")
            broken.append(Unreadable(path, reason))
        except OSError as exc:
            broken.append(Unreadable(path, exc.strerror or type(exc).__name__))
    return runs, broken


def list_runs(base: Path | None = None) -> tuple[list[RunSummary], list[str]]:
    """Every run under `base`, newest first, and a line for each folder that could not be read."""
    runs, broken = scan_runs(base)
    return runs, [str(b) for b in broken]
