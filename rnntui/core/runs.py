"""A run directory: spec.toml, append-only metrics.jsonl, run.json (status) and a checkpoint.

Checkpoints hold only tensors and plain data and are read with `torch.load(weights_only=True)`, so
a file can never run code when loaded (checkpoint.py). Every write that replaces a file goes through
`fileio.atomic_write` (a temporary file and a rename), so an interrupted save leaves the previous
file intact. A run folder may be someone else's: every file in it is read as a regular file under a
size cap and validated (run_list.py lists a broken one as unreadable, with the reason).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import tomllib

from rnntui.core.checkpoint import CHECKPOINT, FORMAT_VERSION, Checkpoint, check_tensors, read_checkpoint
from rnntui.core.checkpoint import write_checkpoint as write_checkpoint
from rnntui.core.errors import RunError, SpecError
from rnntui.core.fileio import atomic_write_bytes, open_regular, os_reason, read_regular
from rnntui.core.presets import spec_from_mapping
from rnntui.core.run_status import parse_status
from rnntui.core.spec import ExperimentSpec, set_value
from rnntui.core.tomlwrite import spec_to_toml

__all__ = ["RunError", "RunDir", "Checkpoint", "read_checkpoint", "write_checkpoint", "default_runs_dir"]

MAX_SMALL_FILE = 1_000_000  # spec.toml, run.json: a few KB when rnntui writes them
MAX_METRICS_LINE = 1_000_000  # one metrics record: ~300 bytes when rnntui writes it
MAX_METRICS_BYTES = 32_000_000  # ~250,000 steps of records: far past every lesson


def default_runs_dir() -> Path:
    env = os.environ.get("RNNTUI_RUNS_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("rnntui")) / "runs"


def _writing(what: Path, exc: OSError) -> RunError:
    """A failed write as one line a person can act on (a full disk, a read-only folder...)."""
    return RunError(f"cannot write {what}: {os_reason(exc)}")


def comparable(spec: ExperimentSpec) -> ExperimentSpec:
    """The spec without what `resume` may change (the step target, the device)."""
    return set_value(set_value(spec, "train", "steps", 0), "train", "device", "auto")


class RunDir:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def create(cls, base: Path | None, spec: ExperimentSpec) -> RunDir:
        base = Path(base) if base is not None else default_runs_dir()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", spec.name).strip("-.")[:60] or "run"
        stem = f"{stamp}-{slug}-{spec.model.cell}"
        try:
            base.mkdir(parents=True, exist_ok=True)
            for n in range(1000):
                path = base / (stem if n == 0 else f"{stem}-{n + 1}")
                try:
                    path.mkdir()
                    break
                except FileExistsError:
                    continue
            else:
                raise RunError(f"cannot create a run directory under {base}")
        except OSError as exc:
            raise RunError(f"cannot create a run directory under {base}: {os_reason(exc)}") from None
        run = cls(path)
        text = spec_to_toml(spec).encode("utf-8")
        try:
            try:
                atomic_write_bytes(path / "spec.toml", text)
            except OSError as exc:
                raise _writing(path / "spec.toml", exc) from None
            run.set_status("running", created=time.time(), spec_sha256=hashlib.sha256(text).hexdigest())
        except RunError:
            shutil.rmtree(path, ignore_errors=True)  # no half-made run left behind
            raise
        return run

    @classmethod
    def open(cls, path: str | Path) -> RunDir:
        p = Path(path).expanduser()
        if not p.is_dir():
            why = "is not a run folder" if p.exists() else "does not exist"  # e.g. /dev/null, a file
            raise RunError(f"run directory {str(path)!r} {why}")
        if not (p / "spec.toml").is_file() and not (p / CHECKPOINT).is_file():
            raise RunError(f"{str(path)!r} is not an rnntui run directory (no spec.toml or checkpoint)")
        return cls(p)

    @property
    def checkpoint_path(self) -> Path:
        return self.path / CHECKPOINT

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    def spec_text(self) -> bytes:
        try:
            return read_regular(self.path / "spec.toml", MAX_SMALL_FILE, "spec.toml")
        except SpecError as exc:
            raise RunError(str(exc)) from None

    def spec(self) -> ExperimentSpec:
        where = self.path / "spec.toml"
        try:
            return spec_from_mapping(tomllib.loads(self.spec_text().decode("utf-8")), "spec.toml", "run")
        except RunError:
            raise
        except (SpecError, ValueError, RecursionError) as exc:  # ValueError: TOML and UTF-8 errors
            raise RunError(f"{where} cannot be read: {str(exc)[:300]}") from None

    def status(self) -> dict[str, Any]:
        """run.json, validated field by field; {} when it is missing or unreadable."""
        try:
            return parse_status(json.loads(read_regular(self.path / "run.json", MAX_SMALL_FILE, "run.json")))
        except (SpecError, ValueError, RecursionError):
            return {}

    def set_status(self, status: str, **fields: Any) -> None:
        data = self.status()
        data.update(fields)
        data.update({"status": status, "format_version": FORMAT_VERSION, "updated": time.time()})
        try:
            atomic_write_bytes(self.path / "run.json", json.dumps(data, indent=1).encode("utf-8"))
        except OSError as exc:
            raise _writing(self.path / "run.json", exc) from None

    def append_metrics(self, records: Iterable[dict[str, Any]]) -> None:
        lines = "".join(json.dumps(r, allow_nan=True) + "\n" for r in records)
        if not lines:
            return
        try:
            # Never through a link: a shared run folder can hold metrics.jsonl -> ~/.bashrc, and the
            # records carry text the run's own weights generate (samples).
            flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
            fd = os.open(self.metrics_path, flags, 0o644)
        except OSError as exc:
            raise _writing(self.metrics_path, exc) from None
        with os.fdopen(fd, "a+b") as fh:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise RunError(f"{self.metrics_path} is not a regular file: the run's metrics cannot be written")
            try:
                # A run killed (or a disk full) mid-write left a torn last line: end it, so the next
                # record starts a line of its own instead of joining the torn one (one byte read).
                if fh.seek(0, os.SEEK_END) > 0:
                    fh.seek(-1, os.SEEK_END)
                    if fh.read(1) != b"\n":
                        lines = "\n" + lines
                fh.write(lines.encode("utf-8"))
                fh.flush()
            except OSError as exc:
                raise _writing(self.metrics_path, exc) from None

    def read_metrics(self) -> tuple[list[dict[str, Any]], list[str]]:
        """All readable records, and a warning for each line that is damaged (it is skipped)."""
        from rnntui.core.run_status import check_record

        records: list[dict[str, Any]] = []
        warnings: list[str] = []
        if not self.metrics_path.exists():
            return records, warnings
        try:
            fd, _ = open_regular(self.metrics_path, "metrics.jsonl")
        except SpecError as exc:
            return records, [str(exc)]
        with os.fdopen(fd, "rb") as fh:
            n = read = 0
            while True:
                line = fh.readline(MAX_METRICS_LINE)
                if not line:
                    break
                read += len(line)
                if read > MAX_METRICS_BYTES:  # 77 MB took 917 MB and 9 s: beyond this, the rest is said, not read
                    mb = MAX_METRICS_BYTES // 1_000_000
                    warnings.append(f"{self.metrics_path.name} is over {mb} MB: the rest is not read")
                    break
                n += 1
                if not line.endswith(b"\n") and len(line) == MAX_METRICS_LINE:
                    while (rest := fh.readline(MAX_METRICS_LINE)) and not rest.endswith(b"\n"):
                        pass  # skip the rest of an over-long line without holding it
                    warnings.append(f"{self.metrics_path.name} line {n} is too long and was skipped")
                    continue
                if not line.strip():
                    continue
                try:
                    records.append(check_record(json.loads(line)))
                except (ValueError, RecursionError):
                    warnings.append(f"{self.metrics_path.name} line {n} is damaged and was skipped")
        return records, warnings

    def load(self) -> Checkpoint:
        """The checkpoint, checked before its tensors are read: its header (checkpoint.py), its agreement
        with spec.toml, and every tensor against the model its spec and vocabulary describe."""
        cp = read_checkpoint(self.checkpoint_path)
        if (self.path / "spec.toml").exists():
            on_disk = self.spec()
            if comparable(on_disk) != comparable(cp.spec):
                raise RunError(
                    f"{self.path / 'spec.toml'} disagrees with the checkpoint (was spec.toml edited?); "
                    "the checkpoint holds what was trained: restore spec.toml, or train a new run"
                )
        from rnntui.core.tasks import build_task

        try:
            task = build_task(cp.spec.task, state=cp.task_state)
        except SpecError as exc:
            raise RunError(f"{self.checkpoint_path}: {exc}") from None
        check_tensors(cp, task, self.checkpoint_path)
        cp.task = task
        return cp
