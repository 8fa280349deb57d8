"""Presets: TOML files → ExperimentSpec. TOML is data only; nothing in a preset is executed.

Built-in presets live in the top-level `presets/` folder (shipped inside the wheel as
`rnntui/presets`); a user folder (`RNNTUI_PRESETS_DIR`, else the platform config dir) adds more.
A broken file is reported by name and never stops the others from loading.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomllib

from rnntui.core.spec import (
    ExperimentSpec,
    GoalSpec,
    ModelSpec,
    SpecError,
    TaskSpec,
    TrainSpec,
    build_section,
    validate,
)

TOP_KEYS = ("name", "title", "example", "lesson", "try_next", "task", "model", "train", "goal")


@dataclass
class PresetEntry:
    name: str
    path: Path
    spec: ExperimentSpec | None
    error: str | None


def reflow(text: str) -> str:
    """A TOML multi-line string as paragraphs: the file's line breaks are for the editor, so lines
    are joined and the UI wraps them to its own width; blank lines still separate paragraphs."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip())]
    return "\n\n".join(p for p in paragraphs if p)


def builtin_dir() -> Path:
    here = Path(__file__).resolve().parent.parent  # the rnntui package
    packaged = here / "presets"
    if packaged.is_dir():
        return packaged
    return here.parent / "presets"  # source checkout or editable install


def user_dir() -> Path:
    env = os.environ.get("RNNTUI_PRESETS_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("rnntui")) / "presets"


def spec_from_mapping(data: Mapping[str, Any], where: str, default_name: str) -> ExperimentSpec:
    unknown = [k for k in data if k not in TOP_KEYS]
    if unknown:
        raise SpecError(f"{where}: unknown key {unknown[0]!r}; valid top-level keys: {', '.join(TOP_KEYS)}")
    for section in ("task", "model", "train", "goal"):
        if section in data and not isinstance(data[section], Mapping):
            raise SpecError(f"{where}: [{section}] must be a table")
    task_data = dict(data.get("task", {}))
    task_name = task_data.pop("name", None)
    if not isinstance(task_name, str):
        raise SpecError(f'{where}: [task] needs name = "..." (the task family)')
    from rnntui.core.tasks import get_task_class

    try:
        task_cls = get_task_class(task_name)
        params = task_cls.resolve_params(task_data)
        params = {k: v for k, v in params.items() if k in task_data}
        model = build_section(ModelSpec, data.get("model", {}), "model")
        train = build_section(TrainSpec, data.get("train", {}), "train")
        goal = build_section(GoalSpec, data["goal"], "goal") if "goal" in data else None
    except SpecError as exc:
        raise SpecError(f"{where}: {exc}") from None
    try_next = []
    for item in data.get("try_next", []):
        if not isinstance(item, Mapping) or "set" not in item:
            raise SpecError(f'{where}: each [[try_next]] needs set = "section.key=value" and why = "..."')
        try_next.append((str(item["set"]), str(item.get("why", ""))))
    return ExperimentSpec(
        name=str(data.get("name", default_name)),
        title=str(data.get("title", "")),
        lesson=reflow(str(data.get("lesson", ""))),
        example=str(data.get("example", "")),
        try_next=tuple(try_next),
        task=TaskSpec(name=task_name, params=params),
        model=model,
        train=train,
        goal=goal,
    )


def load_preset(path: Path) -> ExperimentSpec:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path.name}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path.name}: not valid TOML: {exc}") from None
    spec = spec_from_mapping(data, path.name, path.stem)
    try:
        validate(spec)
    except SpecError as exc:
        raise SpecError(f"{path.name}: {exc}") from None
    return spec


def discover() -> list[PresetEntry]:
    """Every preset, built-in first; a user preset with a built-in's name replaces it."""
    entries: dict[str, PresetEntry] = {}
    for folder in (builtin_dir(), user_dir()):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                spec = load_preset(path)
                entries[spec.name] = PresetEntry(spec.name, path, spec, None)
            except SpecError as exc:
                entries[path.stem] = PresetEntry(path.stem, path, None, str(exc))
    return list(entries.values())


ORDER = (
    "hello",
    "doubling",
    "sine",
    "char-lm",
    "sentiment",
    "pos-tagging",
    "river-bank",
    "translate",
    "spell-number",
    "long-memory",
    "exploding",
    "deep-stack",
    "cat-sat",
)


def sorted_entries(entries: list[PresetEntry]) -> list[PresetEntry]:
    rank = {n: i for i, n in enumerate(ORDER)}
    return sorted(entries, key=lambda e: (rank.get(e.name, len(ORDER)), e.name))


def resolve(name_or_path: str) -> ExperimentSpec:
    """A preset name, or a path to a TOML file."""
    path = Path(name_or_path).expanduser()
    if name_or_path.endswith(".toml") or path.is_file():
        if not path.is_file():
            raise SpecError(f"preset file {name_or_path!r} does not exist")
        return load_preset(path)
    for entry in discover():
        if entry.name == name_or_path:
            if entry.spec is None:
                raise SpecError(entry.error or f"preset {name_or_path!r} has an error")
            return entry.spec
    names = ", ".join(e.name for e in sorted_entries(discover()))
    raise SpecError(f"unknown preset {name_or_path!r}; presets: {names} (or give a path to a .toml file)")
