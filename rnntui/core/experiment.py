"""Build the objects a spec describes: its task and its model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from rnntui.core.model import SequenceModel
from rnntui.core.spec import ExperimentSpec, TaskSpec, validate
from rnntui.core.tasks import get_task_class
from rnntui.core.tasks.base import Task

_CACHE: dict[tuple[Any, ...], Task] = {}


def build_task(spec: TaskSpec, state: Mapping[str, Any] | None = None) -> Task:
    """Generated-data tasks are cached by their parameters: building some takes a second, and
    tasks are read-only once built. Tasks that read a user's file are always rebuilt."""
    cls = get_task_class(spec.name)
    if state is not None or spec.params.get("path"):
        return cls(spec.params, state=state)
    key = (spec.name, tuple(sorted(spec.params.items())))
    if key not in _CACHE:
        _CACHE[key] = cls(spec.params)
    return _CACHE[key]


def build_model(spec: ExperimentSpec, task: Task, seed: int | None = None) -> SequenceModel:
    """The model with its seeded initial weights (same seed → same weights, on any device)."""
    torch.manual_seed(spec.train.seed if seed is None else seed)
    return SequenceModel(spec.model, task)


def build(spec: ExperimentSpec) -> tuple[Task, SequenceModel]:
    validate(spec)
    task = build_task(spec.task)
    return task, build_model(spec, task)


def from_checkpoint(path: str) -> tuple[ExperimentSpec, Task, SequenceModel]:
    """Rebuild the task (from its saved vocabulary) and the model with the run's weights, on the CPU."""
    from rnntui.core.runs import RunDir, RunError

    run = RunDir.open(path)
    cp = run.load()
    task = build_task(cp.spec.task, state=cp.task_state)
    model = SequenceModel(cp.spec.model, task)
    try:
        model.load_state_dict(cp.model_state)
    except RuntimeError as exc:
        raise RunError(f"{run.checkpoint_path} does not match its spec: {str(exc).splitlines()[0]}") from None
    return cp.spec, task, model.eval()
