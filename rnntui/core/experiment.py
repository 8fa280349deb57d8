"""Build the objects a spec describes: its task and its model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from rnntui.core.model import SequenceModel
from rnntui.core.spec import ExperimentSpec, TaskSpec, validate
from rnntui.core.tasks import get_task_class
from rnntui.core.tasks.base import Task


def build_task(spec: TaskSpec, state: Mapping[str, Any] | None = None) -> Task:
    return get_task_class(spec.name)(spec.params, state=state)


def build_model(spec: ExperimentSpec, task: Task, seed: int | None = None) -> SequenceModel:
    """The model with its seeded initial weights (same seed → same weights, on any device)."""
    torch.manual_seed(spec.train.seed if seed is None else seed)
    return SequenceModel(spec.model, task)


def build(spec: ExperimentSpec) -> tuple[Task, SequenceModel]:
    validate(spec)
    task = build_task(spec.task)
    return task, build_model(spec, task)
