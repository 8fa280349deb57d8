"""Build the objects a spec describes: its task (tasks/__init__.py) and its model."""

from __future__ import annotations

import torch

from rnntui.core.model import SequenceModel
from rnntui.core.size_table import TaskSizes
from rnntui.core.spec import ExperimentSpec, validate
from rnntui.core.tasks import build_task as build_task  # where it was: callers import it from here
from rnntui.core.tasks.base import Task


def task_sizes(task: Task) -> TaskSizes:
    """What the parameter count needs of a task (the first frame's count, by arithmetic)."""
    return TaskSizes(task.n_in, task.n_out, task.reads_tokens)


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
