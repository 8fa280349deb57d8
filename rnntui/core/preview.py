"""A preset as the app's first frame shows it: read without importing torch (which takes a second or
more), so the first frame has the real cell, pattern, fields, diagram, lesson and parameter count
instead of placeholders.

The task's own parameters are not typed here (that needs the task classes, which import torch): the
preview is for showing only; the app replaces it with the real, validated spec as soon as torch is in.
The parameter count is arithmetic (core/sizes.py) on the task's vocabulary sizes, which come from the
size table (core/size_table.py): shipped for the built-in presets, remembered for the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnntui.core.errors import SpecError
from rnntui.core.presets import preset_files, read_toml, reflow
from rnntui.core.size_table import recall
from rnntui.core.sizes import param_count
from rnntui.core.spec import ExperimentSpec, GoalSpec, ModelSpec, TaskSpec, TrainSpec, build_section


@dataclass(frozen=True)
class Preview:
    spec: ExperimentSpec
    params: int | None  # None when the task's sizes are not known yet
    path: Path | None = None  # the file: the training process reads it (with the task classes)


def preview_spec(data: Mapping[str, Any], default_name: str) -> ExperimentSpec:
    task = dict(data.get("task", {}))
    name = task.pop("name", "")
    goal = data.get("goal")
    try_next = tuple(
        (str(t.get("set", "")), str(t.get("why", ""))) for t in data.get("try_next", []) if isinstance(t, Mapping)
    )
    return ExperimentSpec(
        name=str(data.get("name", default_name)),
        title=str(data.get("title", "")),
        lesson=reflow(str(data.get("lesson", ""))),
        example=str(data.get("example", "")),
        try_next=try_next,
        task=TaskSpec(name=str(name), params=task),
        model=build_section(ModelSpec, data.get("model", {}), "model"),
        train=build_section(TrainSpec, data.get("train", {}), "train"),
        goal=build_section(GoalSpec, goal, "goal") if isinstance(goal, Mapping) else None,
    )


def preview(name: str) -> Preview | None:
    """The preset called `name`, or None when it cannot be previewed (the real load says why)."""
    files = list(reversed(preset_files()))  # a user preset comes after, and replaces, a built-in
    # Files named like the preset first: one file read instead of all of them, most of the time.
    for path in sorted(files, key=lambda p: p.stem != name):
        try:
            data = read_toml(path)
            if str(data.get("name", path.stem)) != name:
                continue
            spec = preview_spec(data, path.stem)
        except (SpecError, TypeError, ValueError, AttributeError):
            continue
        sizes = recall(spec.task)
        params = None if sizes is None else param_count(spec.model, sizes.input, sizes.output, sizes.tokens_in)
        return Preview(spec, params, path)
    return None
