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

from rnntui.core.fileio import read_regular
from rnntui.core.spec import (
    MAX_TEXT,
    ExperimentSpec,
    GoalSpec,
    ModelSpec,
    SpecError,
    TaskSpec,
    TrainSpec,
    build_section,
    coerce,
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
    texts = {}
    for key, default in (("name", default_name), ("title", ""), ("lesson", "")):
        try:
            texts[key] = coerce(data.get(key, default), str, key)
        except SpecError as exc:
            raise SpecError(f"{where}: {exc}") from None
    if len(texts["name"]) > 200:
        raise SpecError(f"{where}: name is {len(texts['name'])} characters long; the limit is 200")
    items = data.get("try_next", [])
    if not isinstance(items, list):
        raise SpecError(f"{where}: try_next must be a list of [[try_next]] tables")
    try_next = []
    for item in items:
        ok = isinstance(item, Mapping) and isinstance(item.get("set"), str) and isinstance(item.get("why", ""), str)
        if not ok:
            raise SpecError(f'{where}: each [[try_next]] needs set = "section.key=value" and why = "..."')
        try_next.append((item["set"][:MAX_TEXT], item.get("why", "")[:MAX_TEXT]))
    return ExperimentSpec(
        name=texts["name"],
        title=texts["title"],
        lesson=reflow(texts["lesson"]),
        example=coerce(data.get("example", ""), str, "example")[:MAX_TEXT],
        try_next=tuple(try_next),
        task=TaskSpec(name=task_name, params=params),
        model=model,
        train=train,
        goal=goal,
    )


MAX_PRESET_BYTES = 256_000  # a preset is ~2 KB; a lesson with a long text is still far below
MAX_DEPTH = 8  # tables in tables: a preset needs 3 (the file, [[try_next]], its entries)


def depth(value: Any) -> int:
    """How deeply tables and arrays nest in `value` (iterative: no recursion to exhaust)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, Mapping | list):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                stack.extend((v, level + 1) for v in (item.values() if isinstance(item, Mapping) else item))
    return deepest


def read_toml(path: Path) -> dict[str, Any]:
    """A preset file's TOML: a regular file (not a device, FIFO or folder) under the size cap, nested
    at most MAX_DEPTH deep. Measured before: a symlink to /dev/zero filled memory, a FIFO hung the app's
    start, and a file of 100,000 `[` raised RecursionError out of every command that listed presets."""
    try:
        text = read_regular(path, MAX_PRESET_BYTES, "preset").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path.name}: cannot read: not UTF-8 text (byte {exc.start})") from None
    except SpecError as exc:
        raise SpecError(f"{path.name}: {str(exc).replace(f'preset {str(path)!r}', 'the file')}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path.name}: not valid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses once per level: thousands of `[` exhaust Python's stack
        raise SpecError(f"{path.name}: tables and arrays nested too deeply (limit {MAX_DEPTH})") from None
    except ValueError:  # not a TOMLDecodeError (caught above): an integer past Python's 4300 digits
        raise SpecError(f"{path.name}: not valid TOML: a number too long to read") from None
    if depth(data) > MAX_DEPTH:
        raise SpecError(f"{path.name}: tables and arrays nested too deeply (limit {MAX_DEPTH})")
    return data


def load_preset(path: Path) -> ExperimentSpec:
    data = read_toml(path)
    spec = spec_from_mapping(data, path.name, path.stem)
    try:
        validate(spec)
    except SpecError as exc:
        raise SpecError(f"{path.name}: {exc}") from None
    return spec


def preset_files() -> list[Path]:
    out = []
    for folder in (builtin_dir(), user_dir()):
        try:
            out += sorted(p for p in folder.glob("*.toml"))
        except OSError:
            continue
    return out


def discover() -> list[PresetEntry]:
    """Every preset, built-in first; a user preset with a built-in's name replaces it. A broken file
    is listed with its error under its own file name and never replaces a preset that loads."""
    entries: dict[str, PresetEntry] = {}
    broken: list[PresetEntry] = []
    for path in preset_files():
        try:
            spec = load_preset(path)
            entries[spec.name] = PresetEntry(spec.name, path, spec, None)
        except SpecError as exc:
            broken.append(PresetEntry(path.stem, path, None, str(exc)))
        except Exception as exc:  # a task that fails on odd settings must not take the others down
            broken.append(PresetEntry(path.stem, path, None, f"{path.name}: {type(exc).__name__}: {exc}"[:300]))
    return list(entries.values()) + broken  # valid first: a name resolves to the preset that loads


def check_preset_name(name: str) -> None:
    """Refuse a name no preset file has, without importing torch (the app checks it before starting).
    Only names and TOML syntax are checked here; the app reports a preset that does not validate."""
    found = False
    names = []
    broken: SpecError | None = None
    for path in preset_files():
        try:
            data = read_toml(path)
        except SpecError as exc:
            # A broken user file named like a built-in does not hide the built-in (as in discover()).
            broken = exc if path.stem == name else broken
            names.append(path.stem)
            continue
        preset = data.get("name", path.stem)
        names.append(str(preset))
        found = found or preset == name
    if not found and broken is not None:
        raise broken
    if not found:
        rank = {n: i for i, n in enumerate(ORDER)}
        shown = ", ".join(sorted(set(names), key=lambda n: (rank.get(n, len(ORDER)), n))) or "none"
        raise SpecError(f"unknown preset {name!r}; presets: {shown}")


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
        if not os.path.lexists(path):
            raise SpecError(f"preset file {name_or_path!r} does not exist")
        return load_preset(path)  # refuses a FIFO, a device or a folder by what it is
    for entry in discover():
        if entry.name == name_or_path:
            if entry.spec is None:
                raise SpecError(entry.error or f"preset {name_or_path!r} has an error")
            return entry.spec
    names = ", ".join(e.name for e in sorted_entries(discover()))
    raise SpecError(f"unknown preset {name_or_path!r}; presets: {names} (or give a path to a .toml file)")
