"""Task registry: task name → class, imported lazily so listing presets stays cheap."""

from __future__ import annotations

import importlib
from typing import Any

from rnntui.core.spec import SpecError

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
}


def task_names() -> list[str]:
    return sorted(_TASKS)


def get_task_class(name: str) -> Any:
    if name not in _TASKS:
        raise SpecError(f"unknown task {name!r}; tasks: {', '.join(task_names())}")
    module, _, cls = _TASKS[name].partition(":")
    return getattr(importlib.import_module(module), cls)


def task_param_types(name: str) -> dict[str, Any]:
    return {k: p.type for k, p in get_task_class(name).params.items()}
