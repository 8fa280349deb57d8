"""A run directory: spec.toml, append-only metrics.jsonl, run.json (status) and a checkpoint.

Checkpoints hold only tensors and plain data and are read with `torch.load(weights_only=True)`, so
a file can never run code when loaded. Every write that replaces a file goes through a temporary
file and a rename, so an interrupted save leaves the previous file intact.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomllib
import torch

from rnntui.core.errors import RunError
from rnntui.core.presets import spec_from_mapping
from rnntui.core.spec import ExperimentSpec
from rnntui.core.tomlwrite import spec_to_toml

FORMAT = "rnntui-checkpoint"
FORMAT_VERSION = 1
CHECKPOINT = "checkpoint.pt"


__all__ = ["RunError", "RunDir", "Checkpoint", "read_checkpoint", "write_checkpoint", "default_runs_dir"]


def default_runs_dir() -> Path:
    env = os.environ.get("RNNTUI_RUNS_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("rnntui")) / "runs"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_torch_save(obj: Any, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(obj, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@dataclass
class Checkpoint:
    spec: ExperimentSpec
    task_state: dict[str, Any]
    model_state: dict[str, torch.Tensor]
    optimizer_state: dict[str, Any] | None
    step: int
    extra: dict[str, Any]
    rng_state: torch.Tensor | None = None


def read_checkpoint(path: Path) -> Checkpoint:
    if not path.is_file():
        raise RunError(f"no checkpoint at {path}: the run has not saved weights yet")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # UnpicklingError, zip errors, truncated files...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RunError(f"{path} is not a valid rnntui checkpoint ({first[:160]})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RunError(f"{path} is not an rnntui checkpoint")
    version = data.get("version")
    if version != FORMAT_VERSION:
        raise RunError(
            f"{path} was written by checkpoint format {version}; this rnntui reads format "
            f"{FORMAT_VERSION}: train it again or use the rnntui version that wrote it"
        )
    try:
        spec = spec_from_mapping(tomllib.loads(data["spec"]), str(path), "run")
        task_state = json.loads(data["task_state"])
        extra = json.loads(data.get("extra", "{}"))
    except Exception as exc:
        raise RunError(f"{path} has a damaged header: {exc}") from None
    rng = data.get("rng")
    return Checkpoint(
        spec,
        task_state,
        data["model"],
        data.get("optimizer"),
        int(data["step"]),
        extra,
        rng if isinstance(rng, torch.Tensor) else None,
    )


def write_checkpoint(
    path: Path,
    spec: ExperimentSpec,
    task_state: dict[str, Any],
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer | None,
    step: int,
    extra: dict[str, Any] | None = None,
    rng_state: torch.Tensor | None = None,
) -> None:
    payload = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "spec": spec_to_toml(spec),
        "task_state": json.dumps(task_state),
        "extra": json.dumps(extra or {}),
        "step": int(step),
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "optimizer": _cpu(optimizer.state_dict()) if optimizer is not None else None,
        "rng": rng_state,  # the CPU generator's state: a resumed run draws what it would have drawn
    }
    atomic_torch_save(payload, path)


def _cpu(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: _cpu(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_cpu(v) for v in obj]
    return obj


class RunDir:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def create(cls, base: Path | None, spec: ExperimentSpec) -> RunDir:
        base = Path(base) if base is not None else default_runs_dir()
        base.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", spec.name).strip("-") or "run"
        stem = f"{stamp}-{slug}-{spec.model.cell}"
        for n in range(1000):
            path = base / (stem if n == 0 else f"{stem}-{n + 1}")
            try:
                path.mkdir()
                break
            except FileExistsError:
                continue
        else:
            raise RunError(f"cannot create a run directory under {base}")
        run = cls(path)
        atomic_write_bytes(path / "spec.toml", spec_to_toml(spec).encode("utf-8"))
        run.set_status("running", created=time.time())
        return run

    @classmethod
    def open(cls, path: str | Path) -> RunDir:
        p = Path(path).expanduser()
        if not p.is_dir():
            raise RunError(f"run directory {str(path)!r} does not exist")
        if not (p / "spec.toml").is_file() and not (p / CHECKPOINT).is_file():
            raise RunError(f"{str(path)!r} is not an rnntui run directory (no spec.toml or checkpoint)")
        return cls(p)

    @property
    def checkpoint_path(self) -> Path:
        return self.path / CHECKPOINT

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    def spec(self) -> ExperimentSpec:
        try:
            return spec_from_mapping(tomllib.loads((self.path / "spec.toml").read_text("utf-8")), "spec.toml", "run")
        except Exception as exc:
            raise RunError(f"{self.path / 'spec.toml'} cannot be read: {exc}") from None

    def status(self) -> dict[str, Any]:
        try:
            return json.loads((self.path / "run.json").read_text("utf-8"))
        except (OSError, ValueError):
            return {}

    def set_status(self, status: str, **fields: Any) -> None:
        data = self.status()
        data.update(fields)
        data.update({"status": status, "format_version": FORMAT_VERSION, "updated": time.time()})
        atomic_write_bytes(self.path / "run.json", json.dumps(data, indent=1).encode("utf-8"))

    def append_metrics(self, records: Iterable[dict[str, Any]]) -> None:
        lines = "".join(json.dumps(r, allow_nan=True) + "\n" for r in records)
        if lines:
            with open(self.metrics_path, "a", encoding="utf-8") as fh:
                fh.write(lines)
                fh.flush()

    def read_metrics(self) -> tuple[list[dict[str, Any]], list[str]]:
        """All readable records, and a warning for each line that is damaged (it is skipped)."""
        records, warnings = [], []
        if not self.metrics_path.is_file():
            return records, warnings
        with open(self.metrics_path, encoding="utf-8", errors="replace") as fh:
            for n, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                    if not isinstance(rec, dict):
                        raise ValueError("not an object")
                    records.append(rec)
                except ValueError:
                    warnings.append(f"{self.metrics_path.name} line {n} is damaged and was skipped")
        return records, warnings

    def load(self) -> Checkpoint:
        return read_checkpoint(self.checkpoint_path)


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
    status: str  # complete | stopped | diverged | running | interrupted


def _alive(pid: Any) -> bool:
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError, TypeError):
        return False
    return True


def list_runs(base: Path | None = None) -> tuple[list[RunSummary], list[str]]:
    """Every run under `base`, newest first, and a line for each folder that could not be read.

    A run whose status says "running" but whose process is gone was killed mid-training: it is
    listed as interrupted (and can be resumed from its last checkpoint).
    """
    base = Path(base) if base is not None else default_runs_dir()
    out, problems = [], []
    if not base.is_dir():
        return out, problems
    for path in sorted(base.iterdir(), reverse=True):
        if not path.is_dir() or not (path / "spec.toml").is_file():
            continue
        run = RunDir(path)
        try:
            spec = run.spec()
        except RunError as exc:
            problems.append(str(exc))
            continue
        st = run.status()
        status = st.get("status", "interrupted")
        if status == "running" and not _alive(st.get("pid")):
            status = "interrupted"
        if st.get("format_version", FORMAT_VERSION) != FORMAT_VERSION:
            problems.append(
                f"{path.name} was written by run format {st.get('format_version')}; "
                f"this rnntui reads format {FORMAT_VERSION}: open it with the rnntui version that wrote it, "
                "or train it again"
            )
        goal = st.get("goal") or {}
        out.append(
            RunSummary(
                path=path,
                name=spec.name,
                cell=spec.model.cell,
                bidirectional=spec.model.bidirectional,
                layers=spec.model.num_layers,
                hidden=spec.model.hidden_size,
                steps=int(st.get("step", 0)),
                metric=goal.get("metric", ""),
                value=goal.get("value"),
                goal_met=goal.get("met"),
                created=float(st.get("created", path.stat().st_mtime)),
                status=status,
            )
        )
    return out, problems
