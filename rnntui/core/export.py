"""Export a run: a program that predicts with its trained network (PyTorch, Keras 3 or ONNX), or its
metrics as CSV/JSONL.

A program is a runner from `rnntui/exported/`, copied verbatim with only its data line filled in
(`export_program`), plus the trained weights beside it: a `.pt` state dict (PyTorch), an `.npz` of
PyTorch-named arrays (Keras, which converts them), `.onnx` graphs (ONNX Runtime). Each prints what
`rnntui predict` prints.

Files: the default name comes from the preset's name reduced to letters, digits, `_` and `-`, inside
the run directory, so no name can point elsewhere. Nothing that exists is replaced without `force`
(a link there is refused too, and with `force` the link itself is replaced, never what it points
to). Every file is written to a temporary file first and all are renamed at the end, so a failed
export leaves no torn file and no program without its weights.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from rnntui.core.errors import RunError
from rnntui.core.fileio import write_files
from rnntui.core.run_history import clean_metrics
from rnntui.core.runs import RunDir
from rnntui.core.tasks.kinds import InputKind
from rnntui.core.textsafe import one_line

if TYPE_CHECKING:
    import torch

FORMATS = ("pytorch", "keras", "onnx", "csv", "jsonl")
PROGRAMS = {"pytorch": ".pt", "keras": ".npz", "onnx": ".onnx"}  # format -> its weights' suffix


def metrics_csv(run: RunDir) -> str:
    records, _ = clean_metrics(run)
    evals = {r["step"]: r for r in records if r.get("event") == "evaluated"}
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["step", "loss", "grad_norm", "clipped", "lr", "val_loss", "metric"])
    for r in records:
        if r.get("event") != "step":
            continue
        e = evals.get(r["step"], {})
        w.writerow(
            [
                r["step"],
                r["loss"],
                r["grad_norm"],
                int(bool(r["clipped"])),
                r["lr"],
                e.get("val_loss", ""),
                e.get("metric", ""),
            ]
        )
    return buf.getvalue()


def metrics_jsonl(run: RunDir) -> str:
    records, _ = clean_metrics(run)
    return "".join(json.dumps(r) + "\n" for r in records)


def safe_stem(name: str) -> str:
    """A file name made from a preset's name: never a path, never hidden, never empty."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_-")[:48] or "model"


def default_name(run: RunDir, fmt: str) -> str:
    if fmt == "csv":
        return "metrics.csv"
    if fmt == "jsonl":
        return "metrics.export.jsonl"
    return f"{safe_stem(run.spec().name)}_{fmt}.py"


def target(run: RunDir, fmt: str, out: str | None) -> Path:
    """Where the program or the metrics go: the run directory by default; `out` may be a folder."""
    if out is None:
        return run.path / default_name(run, fmt)
    path = Path(out).expanduser()
    if path.is_dir():
        return path / default_name(run, fmt)
    if fmt in PROGRAMS and path.suffix != ".py":
        raise RunError(f"--out {one_line(out)!r} must name the .py program (its weights are written beside it)")
    return path


def program_files(run: RunDir, fmt: str, path: Path) -> list[tuple[Path, bytes]]:
    """The weights, then the program that reads them (so a program never exists without them)."""
    from rnntui.core.experiment import from_checkpoint
    from rnntui.core.export_program import program

    # The task comes back from the checkpoint's saved state (vocabulary, normalisation), never from its data.
    spec, task, model = from_checkpoint(str(run.path))
    if fmt == "onnx":
        from rnntui.core.export_onnx import onnx_graphs

        blobs = onnx_graphs(model, task.input_kind is InputKind.TOKENS, task.input_dim)
        names = {r: f"{path.stem}.onnx" if r == "network" else f"{path.stem}.{r}.onnx" for r in blobs}
    else:
        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        blobs = {"network": torch_bytes(state) if fmt == "pytorch" else npz_bytes(state)}
        names = {"network": path.stem + PROGRAMS[fmt]}
    text = program(fmt, run.path.name, spec, task, names, blobs)
    return [(path.parent / names[r], blob) for r, blob in blobs.items()] + [(path, text.encode("utf-8"))]


def torch_bytes(state: dict[str, torch.Tensor]) -> bytes:
    import torch

    buf = io.BytesIO()
    torch.save(state, buf)  # tensors only: the program reads it with weights_only=True
    return buf.getvalue()


def npz_bytes(state: dict[str, torch.Tensor]) -> bytes:
    import numpy as np

    buf = io.BytesIO()
    np.savez(buf, **{k: v.numpy() for k, v in state.items()})  # plain arrays: read without pickle
    return buf.getvalue()


def check(paths: list[Path], force: bool) -> None:
    for path in paths:
        shown = one_line(str(path))
        if os.path.lexists(path) and not force:
            raise RunError(f"{shown} exists; use --force to replace it")
        if path.is_dir() and not path.is_symlink():
            raise RunError(f"{shown} is a folder")
        if not path.parent.is_dir():
            why = "is not a folder" if path.parent.exists() else "does not exist"
            raise RunError(f"cannot write {shown}: {one_line(str(path.parent))} {why}")


def write_all(files: list[tuple[Path, bytes]], force: bool) -> None:
    """Every file or none: a program without its weights (or weights without their program) is no export."""
    check([p for p, _ in files], force)
    try:
        write_files(files)
    except OSError as exc:  # unwritable folder, disk full, ...: one line, not a traceback
        where = one_line(str(exc.filename or files[0][0]))
        raise RunError(f"cannot write {where}: {exc.strerror or exc}; nothing was written") from None


def export(run_dir: str, fmt: str, out: str | None = None, force: bool = False) -> list[Path]:
    """Write the export; returns the program (or metrics file) first, then its weights."""
    if fmt not in FORMATS:
        raise RunError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    run = RunDir.open(run_dir)
    path = target(run, fmt, out)
    check([path], force)  # before the work: a refusal should be instant
    if fmt in PROGRAMS:
        files = program_files(run, fmt, path)
    else:
        files = [(path, (metrics_csv(run) if fmt == "csv" else metrics_jsonl(run)).encode("utf-8"))]
    write_all(files, force)
    return [files[-1][0], *(p for p, _ in files[:-1])]
