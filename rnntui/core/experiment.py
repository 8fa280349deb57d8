"""Build the objects a spec describes: its task and its model."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import torch

from rnntui.core.model import SequenceModel
from rnntui.core.size_table import TaskSizes
from rnntui.core.spec import ExperimentSpec, TaskSpec, validate
from rnntui.core.tasks import get_task_class
from rnntui.core.tasks.base import Task

_CACHE: dict[tuple[Any, ...], Task] = {}


def build_task(spec: TaskSpec, state: Mapping[str, Any] | None = None) -> Task:
    """Generated-data tasks are cached by their parameters (and a checkpoint's vocabulary): building
    some takes a second, and tasks are read-only once built. Tasks that read a user's file are always
    rebuilt. A task rebuilt for a checkpoint must have the checkpoint's vocabulary (check_state)."""
    cls = get_task_class(spec.name)
    if spec.params.get("path"):
        task = cls(spec.params, state=state)
        if state is not None:
            task.check_state(state)
        return task
    key = (spec.name, tuple(sorted(spec.params.items())), _state_key(state))
    if key not in _CACHE:
        task = cls(spec.params, state=state)
        if state is not None:
            task.check_state(state)
        _CACHE[key] = task
    return _CACHE[key]


def _state_key(state: Mapping[str, Any] | None) -> str | None:
    if state is None:
        return None
    try:
        return json.dumps(state, sort_keys=True)
    except (TypeError, ValueError):
        return repr(state)


def task_sizes(task: Task) -> TaskSizes:
    """What the parameter count needs of a task (the first frame's count, by arithmetic)."""
    tokens_in = task.input_kind == "tokens" and task.in_vocab is not None
    n_in = len(task.in_vocab) if tokens_in and task.in_vocab is not None else task.input_dim
    classes = task.output_kind == "classes" and task.out_vocab is not None
    n_out = len(task.out_vocab) if classes and task.out_vocab is not None else task.output_dim
    return TaskSizes(n_in, n_out, tokens_in)


def build_model(spec: ExperimentSpec, task: Task, seed: int | None = None) -> SequenceModel:
    """The model with its seeded initial weights (same seed → same weights, on any device)."""
    torch.manual_seed(spec.train.seed if seed is None else seed)
    return SequenceModel(spec.model, task)


def build(spec: ExperimentSpec) -> tuple[Task, SequenceModel]:
    validate(spec)
    task = build_task(spec.task)
    return task, build_model(spec, task)


def from_checkpoint(path: str) -> tuple[ExperimentSpec, Task, SequenceModel]:
    """Rebuild the task (from its saved vocabulary) and the model with the run's weights, on the CPU.
    Every tensor is checked against the spec before the model is built (RunDir.load)."""
    from rnntui.core.runs import RunDir

    cp = RunDir.open(path).load()
    assert cp.task is not None
    model = SequenceModel(cp.spec.model, cp.task)
    model.load_state_dict(cp.model_state)
    return cp.spec, cp.task, model.eval()
