"""Experiment specifications: `section.key=value` overrides, `validate()` and a one-line description.

Everything a run needs is described as plain data (spec_types.py, re-exported here), so a preset file,
the Build view and the command line all produce the same object, and `validate()` is the one place that
refuses nonsense. This module sits above the tasks (a task's parameters are typed by its own class);
the data below them, so a task can name a `ModelSpec` without importing this module back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from rnntui.core.errors import SpecError
from rnntui.core.spec_types import (
    CELL_LABELS,
    CELLS,
    DEVICES,
    DIRECTIONS,
    MAX_TEXT,
    OPTIMIZERS,
    PATTERN_LABELS,
    PATTERNS,
    SECTIONS,
    ExperimentSpec,
    GoalSpec,
    ModelSpec,
    TaskSpec,
    TrainSpec,
    build_section,
    coerce,
    field_types,
    short,
)

__all__ = [
    "CELLS",
    "CELL_LABELS",
    "DEVICES",
    "DIRECTIONS",
    "MAX_TEXT",
    "OPTIMIZERS",
    "PATTERNS",
    "PATTERN_LABELS",
    "SECTIONS",
    "ExperimentSpec",
    "GoalSpec",
    "ModelSpec",
    "SpecError",
    "TaskSpec",
    "TrainSpec",
    "apply_overrides",
    "build_section",
    "coerce",
    "describe",
    "field_types",
    "parse_override",
    "set_value",
    "short",
    "validate",
]


def parse_override(text: str) -> tuple[str, str, str]:
    """Split `section.key=value`; the value stays a string until the section types it."""
    if "=" not in text:
        raise SpecError(f"override {text!r} needs the form section.key=value, e.g. model.cell=gru")
    path, value = text.split("=", 1)
    parts = path.strip().split(".")
    if len(parts) != 2 or not all(parts):
        raise SpecError(f"override {text!r} needs the form section.key=value, e.g. train.lr=0.01")
    section, key = parts
    if section not in ("model", "train", "task", "goal"):
        raise SpecError(f"unknown section {section!r} in {text!r}; sections: model, train, task, goal")
    return section, key, value


def apply_overrides(spec: ExperimentSpec, overrides: Iterable[str]) -> ExperimentSpec:
    for text in overrides:
        section, key, value = parse_override(text)
        spec = set_value(spec, section, key, value)
    return spec


def set_value(spec: ExperimentSpec, section: str, key: str, value: Any) -> ExperimentSpec:
    """Return a copy of `spec` with one field changed, typed like the field it replaces."""
    if section == "task":
        # Task parameters are typed against the task's own declaration.
        from rnntui.core.tasks import task_param_types

        types_ = task_param_types(spec.task.name)
        if key == "name":
            return dataclasses.replace(spec, task=TaskSpec(name=str(value).strip(), params={}))
        if key not in types_:
            valid = ", ".join(["name", *sorted(types_)])
            raise SpecError(f"unknown key task.{key} for task {spec.task.name!r}; valid keys: {valid}")
        params = dict(spec.task.params)
        params[key] = coerce(value, types_[key], f"task.{key}")
        return dataclasses.replace(spec, task=TaskSpec(name=spec.task.name, params=params))
    cls = SECTIONS[section]
    types_ = field_types(cls)
    if key not in types_:
        raise SpecError(f"unknown key {section}.{key}; valid keys: {', '.join(sorted(types_))}")
    current = getattr(spec, section) or cls()
    new = dataclasses.replace(current, **{key: coerce(value, types_[key], f"{section}.{key}")})
    return dataclasses.replace(spec, **{section: new})


def validate(spec: ExperimentSpec) -> None:
    """Raise SpecError for anything that cannot train; messages say what to change (spec_check.py)."""
    from rnntui.core.spec_check import check

    check(spec)


def describe(spec: ExperimentSpec) -> str:
    m = spec.model
    direction = "bi" if m.bidirectional else "uni"
    return (
        f"{CELL_LABELS.get(m.cell, m.cell)} {direction} ×{m.num_layers} h{m.hidden_size} "
        f"{PATTERN_LABELS.get(m.pattern, m.pattern)}"
    )
