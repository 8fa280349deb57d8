"""Task registry: task name → class, imported lazily so listing presets stays cheap; and the built tasks.

`build_task` lives here, under everything that builds or loads a run (experiment.py, runs.py), so those
two can both use it without importing each other.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rnntui.core.errors import SpecError

if TYPE_CHECKING:
    from rnntui.core.spec_types import TaskSpec
    from rnntui.core.tasks.base import Task

_TASKS: dict[str, str] = {
    "char_lm": "rnntui.core.tasks.charlm:CharLMTask",
    "number_sequences": "rnntui.core.tasks.numbers:NumberSequenceTask",
    "sine": "rnntui.core.tasks.series:SineTask",
    "adding": "rnntui.core.tasks.adding:AddingTask",
    "sentiment": "rnntui.core.tasks.sentiment:SentimentTask",
    "pos_tagging": "rnntui.core.tasks.tagging:PosTask",
    "river_bank": "rnntui.core.tasks.tagging:RiverBankTask",
    "translate": "rnntui.core.tasks.seq2seq:TranslateTask",
    "spell_number": "rnntui.core.tasks.seq2seq:SpellNumberTask",
    "agreement": "rnntui.core.tasks.agreement:AgreementTask",
    "reverse": "rnntui.core.tasks.reverse:ReverseTask",
}


def task_names() -> list[str]:
    return sorted(_TASKS)


def get_task_class(name: str) -> type[Task]:
    if name not in _TASKS:
        raise SpecError(f"unknown task {name!r}; tasks: {', '.join(task_names())}")
    module, _, cls = _TASKS[name].partition(":")
    return getattr(importlib.import_module(module), cls)


def task_param_types(name: str) -> dict[str, Any]:
    return {k: p.type for k, p in get_task_class(name).params.items()}


_CACHE: dict[tuple[Any, ...], Task] = {}


def build_task(spec: TaskSpec, state: Mapping[str, Any] | None = None) -> Task:
    """Generated-data tasks are cached by their parameters (and a checkpoint's vocabulary): building
    some takes a second, and tasks are read-only once built. Tasks that read a user's file are always
    rebuilt. A task rebuilt for a checkpoint must have the checkpoint's vocabulary (check_state).

    A task for training (no `state`) has its data made now, where a setting that leaves it none is
    refused; one for a checkpoint has the vocabularies now and its data when first read (`load_data`
    makes it: resuming does), so reading prefixes with a trained network makes none."""
    cls = get_task_class(spec.name)
    if spec.params.get("path"):
        return _new(cls, spec, state)
    key = (spec.name, tuple(sorted(spec.params.items())), _state_key(state))
    if key not in _CACHE:
        _CACHE[key] = _new(cls, spec, state)
    return _CACHE[key]


def _new(cls: type[Task], spec: TaskSpec, state: Mapping[str, Any] | None) -> Task:
    task = cls(spec.params, state=state)
    if state is None:
        task.load_data()
    else:
        task.check_state(state)
    return task


def _state_key(state: Mapping[str, Any] | None) -> str | None:
    if state is None:
        return None
    try:
        return json.dumps(state, sort_keys=True)
    except (TypeError, ValueError):
        return repr(state)
