"""A run's checkpoint: weights, optimizer and RNG state, the spec and the task's vocabulary.

A checkpoint may be someone else's file, so it is checked before anything is allocated for it:
- it must be a regular file under `MAX_CHECKPOINT_BYTES`, and a zip whose pickled header (the part
  `torch.load` reads into memory) is under `MAX_HEADER_BYTES`;
- it is loaded with `weights_only=True` (no pickle code runs) and `mmap=True` (tensors stay on
  disk: a checkpoint that declares gigabytes costs nothing until its tensors are read);
- the spec goes through `validate()` (types and ranges), the task's state through the task;
- `check_tensors()` compares every tensor's name and shape, and the optimizer's state, with the model
  the spec describes (by arithmetic, `sizes.py`), under the parameter cap.
Only then is a model built and the weights copied into it.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomllib

from rnntui.core.errors import RunError, SpecError
from rnntui.core.fileio import atomic_write, human_bytes, open_regular, os_reason
from rnntui.core.presets import spec_from_mapping
from rnntui.core.sizes import MAX_PARAMS, param_shapes
from rnntui.core.spec import ExperimentSpec, validate
from rnntui.core.tasks.kinds import InputKind
from rnntui.core.tomlwrite import spec_to_toml

if TYPE_CHECKING:
    import torch

    from rnntui.core.optimizers import Optimizer
    from rnntui.core.tasks.base import Task
else:  # imported at its first use: the app reads this module without torch (core/lazy_torch.py)
    from rnntui.core.lazy_torch import torch

FORMAT = "rnntui-checkpoint"
FORMAT_VERSION = 1
CHECKPOINT = "checkpoint.pt"
# The parameter cap's weights and Adam's two moments in float32, and room for the header.
MAX_CHECKPOINT_BYTES = MAX_PARAMS * 4 * 3 + 40_000_000
MAX_HEADER_BYTES = 16_000_000
MAX_STEP = 10**12


@dataclass
class Checkpoint:
    spec: ExperimentSpec
    task_state: dict[str, Any]
    model_state: dict[str, torch.Tensor]
    optimizer_state: dict[str, Any] | None
    step: int
    extra: dict[str, Any]
    rng_state: torch.Tensor | None = None
    task: Task | None = None  # the task rebuilt from task_state, once RunDir.load() has checked the tensors


def _refuse(path: Path, why: str) -> RunError:
    return RunError(f"{path} is not a valid rnntui checkpoint ({why})")


def _check_container(path: Path) -> None:
    """Regular file, size cap, a zip whose pickled header is small (torch reads the header whole)."""
    try:
        fd, size = open_regular(path, "checkpoint")
    except SpecError as exc:
        raise RunError(str(exc)) from None
    os.close(fd)
    if size > MAX_CHECKPOINT_BYTES:
        raise RunError(
            f"{path} is {human_bytes(size)}; a checkpoint of the largest network rnntui builds is under "
            f"{human_bytes(MAX_CHECKPOINT_BYTES)}"
        )
    try:
        with zipfile.ZipFile(path) as z:
            headers = [i for i in z.infolist() if i.filename.endswith("data.pkl")]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refuse(path, str(exc)[:160] or "not a zip archive") from None
    if len(headers) != 1:
        raise _refuse(path, "no single data.pkl")
    if headers[0].file_size > MAX_HEADER_BYTES or headers[0].compress_type != zipfile.ZIP_STORED:
        raise _refuse(path, f"its header is {human_bytes(headers[0].file_size)} or compressed")


def _json(data: Any, key: str, default: str | None = None) -> Any:
    text = data.get(key, default)
    if not isinstance(text, str):
        raise ValueError(f"{key} is not text")
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(f"{key} is nested too deeply") from None


def read_checkpoint(path: Path) -> Checkpoint:
    """The checkpoint's header, validated; its tensors are memory-mapped, not read (see check_tensors)."""
    if not path.exists():
        raise RunError(f"no checkpoint at {path}: the run has not saved weights yet")
    _check_container(path)
    try:
        data = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as exc:  # UnpicklingError, zip errors, truncated files...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _refuse(path, first[:160]) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RunError(f"{path} is not an rnntui checkpoint")
    version = data.get("version")
    if version != FORMAT_VERSION:
        raise RunError(
            f"{path} was written by checkpoint format {str(version)[:20]}; this rnntui reads format "
            f"{FORMAT_VERSION}: train it again or use the rnntui version that wrote it"
        )
    try:
        if not isinstance(data.get("spec"), str):
            raise ValueError("the spec is not text")
        spec = spec_from_mapping(tomllib.loads(data["spec"]), str(path), "run")
        validate(spec)
        task_state, extra = _json(data, "task_state"), _json(data, "extra", "{}")
        if not isinstance(task_state, dict) or not isinstance(extra, dict):
            raise ValueError("task_state and extra must be objects")
        step = data.get("step")
        if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= MAX_STEP:
            raise ValueError(f"step {str(step)[:20]} is not a step number")
        model, optimizer, rng = data.get("model"), data.get("optimizer"), data.get("rng")
        if not isinstance(model, dict) or not all(isinstance(v, torch.Tensor) for v in model.values()):
            raise ValueError("the weights are not a table of tensors")
        if optimizer is not None and not isinstance(optimizer, dict):
            raise ValueError("the optimizer state is not a table")
        initial = extra.get("initial_loss")
        if initial is not None and (isinstance(initial, bool) or not isinstance(initial, int | float)):
            raise ValueError("extra.initial_loss is not a number")
        if not isinstance(extra.get("goal_met", False), bool):
            raise ValueError("extra.goal_met is not true or false")
    except (SpecError, ValueError, tomllib.TOMLDecodeError, RecursionError) as exc:
        raise RunError(f"{path} has a damaged header: {str(exc)[:300]}") from None
    return Checkpoint(spec, task_state, model, optimizer, step, extra, rng if isinstance(rng, torch.Tensor) else None)


def io_sizes(task: Task) -> tuple[int, int, bool]:
    """(input size, output size, token input) of the model a task needs, as SequenceModel computes them."""
    return task.n_in, task.n_out, task.input_kind is InputKind.TOKENS


def check_tensors(cp: Checkpoint, task: Task, where: Path) -> None:
    """Names, shapes and kinds of every tensor against the model the spec and task describe."""
    n_in, n_out, tokens = io_sizes(task)
    expected = param_shapes(cp.spec.model, n_in, n_out, tokens)
    total = sum(math.prod(s) for s in expected.values())
    if total > MAX_PARAMS:
        raise RunError(f"{where} describes a network of {total:,} parameters; the limit is {MAX_PARAMS:,}")
    got = cp.model_state
    if set(got) != set(expected):
        odd = sorted(set(got) ^ set(expected))
        raise RunError(f"{where} does not match its spec: weights {', '.join(map(repr, odd[:3]))[:200]} differ")
    for name, shape in expected.items():
        t = got[name]
        if tuple(t.shape) != shape or not t.is_floating_point():
            raise RunError(f"{where} does not match its spec: {name} is {tuple(t.shape)}, expected {shape}")
    if cp.optimizer_state is not None:
        _check_optimizer(cp.optimizer_state, list(expected.values()), where)
    rng = cp.rng_state
    if rng is not None and (rng.dtype != torch.uint8 or rng.shape != torch.random.get_rng_state().shape):
        raise RunError(f"{where} has a damaged random state")


def _check_optimizer(state: Mapping[str, Any], shapes: list[tuple[int, ...]], where: Path) -> None:
    bad = RunError(f"{where} has a damaged optimizer state")
    groups, per_param = state.get("param_groups"), state.get("state")
    if not isinstance(groups, list) or not isinstance(per_param, dict):
        raise bad
    ids = [i for g in groups if isinstance(g, dict) for i in (g.get("params") or [])]
    if sorted(ids) != list(range(len(shapes))):
        raise bad
    for key, entry in per_param.items():
        if not isinstance(key, int) or not 0 <= key < len(shapes) or not isinstance(entry, dict):
            raise bad
        if not all(moment_ok(value, shapes[key]) for value in entry.values()):
            raise bad


def moment_ok(value: object, shape: tuple[int, ...]) -> bool:
    """A per-parameter optimizer value: a float tensor of the parameter's shape, a finite 0-d count
    (Adam's `step`: a whole number ≥ 0), or none (SGD without momentum yet). Nothing else reaches the optimizer."""
    if value is None:
        return True
    if not isinstance(value, torch.Tensor) or not value.is_floating_point():
        return False
    if value.dim() == 0:  # a count: -1 would be 0 at the next step, a division by zero
        from rnntui.core.optimizers import is_count  # (torch's: imported once a checkpoint is read)

        return is_count(float(value))
    return tuple(value.shape) == shape


def write_checkpoint(
    path: Path,
    spec: ExperimentSpec,
    task_state: dict[str, Any],
    model: torch.nn.Module,
    optimizer: Optimizer | None,
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
    try:
        atomic_write(path, lambda fh: torch.save(payload, fh))
    except OSError as exc:  # a full disk, a file-size limit: one line; the last complete checkpoint stays
        kept = "the last saved one is kept" if path.is_file() else "none is saved yet"
        raise RunError(f"cannot save the checkpoint {path}: {os_reason(exc)} ({kept})") from None


def _cpu(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: _cpu(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_cpu(v) for v in obj]
    return obj
