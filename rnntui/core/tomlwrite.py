"""Write an ExperimentSpec as TOML (the stdlib reads TOML but cannot write it)."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

from rnntui.core.spec import ExperimentSpec


def _value(v: Any) -> str:
    if v is None:
        return '"none"'  # read back as None by the typed loader
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"cannot write {v} to TOML")
        return repr(v)
    return json.dumps(str(v), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def spec_to_toml(spec: ExperimentSpec) -> str:
    lines = [f"name = {_value(spec.name)}", f"title = {_value(spec.title)}"]
    if spec.example:
        lines.append(f"example = {_value(spec.example)}")
    if spec.lesson:
        lines.append(f"lesson = {_value(spec.lesson)}")
    for key, why in spec.try_next:
        lines += ["", "[[try_next]]", f"set = {_value(key)}", f"why = {_value(why)}"]
    lines += ["", "[task]", f"name = {_value(spec.task.name)}"]
    lines += [f"{k} = {_value(v)}" for k, v in spec.task.params.items()]
    for section in ("model", "train", "goal"):
        obj = getattr(spec, section)
        if obj is None:
            continue
        lines += ["", f"[{section}]"]
        lines += [f"{f.name} = {_value(getattr(obj, f.name))}" for f in dataclasses.fields(obj)]
    return "\n".join(lines) + "\n"
