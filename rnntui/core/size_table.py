"""The vocabulary sizes of tasks, known without building them (building one imports torch and may
read data): for the built-in presets from a table shipped with them (presets/task_sizes.json, which
a test keeps current), for the others remembered in the user's cache once the app has built them.

Sizes decide nothing but the parameter count the first frame shows; the real count replaces it
when the task is built, so a stale or broken entry can only show a wrong number for a second.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnntui.core.fileio import atomic_write_bytes, read_regular
from rnntui.core.presets import builtin_dir
from rnntui.core.spec import TaskSpec

BUILTIN = "task_sizes.json"
MAX_ENTRIES = 200
MAX_BYTES = 256_000


@dataclass(frozen=True)
class TaskSizes:
    input: int  # input vocabulary, or the input vector's width
    output: int  # output vocabulary, or the output width
    tokens_in: bool  # token inputs (an embedding) or vectors (a linear layer)


def key(task: TaskSpec) -> str:
    return json.dumps([task.name, dict(task.params)], sort_keys=True, default=str)


def cache_file() -> Path:
    env = os.environ.get("RNNTUI_CACHE_DIR")
    if env:
        return Path(env).expanduser() / BUILTIN
    import platformdirs

    return Path(platformdirs.user_cache_dir("rnntui")) / BUILTIN


def _read(path: Path) -> dict[str, TaskSizes]:
    """Entries that are well formed; a missing or damaged file is an empty table."""
    try:
        data: Any = json.loads(read_regular(path, MAX_BYTES, "size table"))
    except Exception:  # missing, unreadable, not JSON: nothing to recall
        return {}
    out = {}
    if isinstance(data, dict):
        for k, v in list(data.items())[:MAX_ENTRIES]:
            ok = isinstance(v, list) and len(v) == 3 and all(isinstance(n, int) and 0 < n < 10**7 for n in v[:2])
            if ok and isinstance(k, str) and isinstance(v[2], bool):
                out[k] = TaskSizes(v[0], v[1], v[2])
    return out


def recall(task: TaskSpec) -> TaskSizes | None:
    k = key(task)
    return _read(builtin_dir() / BUILTIN).get(k) or _read(cache_file()).get(k)


def remember(task: TaskSpec, sizes: TaskSizes) -> None:
    """Keep `sizes` for the next start (best effort: a cache that cannot be written is no error)."""
    k = key(task)
    if recall(task) == sizes:
        return
    table = _read(cache_file())
    table.pop(k, None)
    table[k] = sizes
    kept = dict(list(table.items())[-MAX_ENTRIES:])
    path = cache_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {name: [s.input, s.output, s.tokens_in] for name, s in kept.items()}
        atomic_write_bytes(path, json.dumps(body, indent=0).encode("utf-8"))
    except OSError:
        pass


def write_builtin_table(entries: dict[str, TaskSizes]) -> None:
    """Rewrite the shipped table (tests/newcomer/test_newcomer_first_frame.py says when and how)."""
    body = {name: [s.input, s.output, s.tokens_in] for name, s in sorted(entries.items())}
    atomic_write_bytes(builtin_dir() / BUILTIN, (json.dumps(body, indent=1) + "\n").encode("utf-8"))
