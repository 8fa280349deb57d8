"""What every command module shares: the user-error type, JSON lines output, Ctrl+C while starting."""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

INTERRUPTED = b"rnntui: error: interrupted\n"
TORCH_FIRST = {"train", "resume", "compare", "predict", "hunt", "export", "runs", "presets"}  # all need it


class UserError(Exception):
    """Printed as one line, exit status 2."""


def clean(obj: Any) -> Any:
    """JSON has no NaN/Inf: write them as null so every line parses anywhere."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean(v) for v in obj]
    return obj


# JSON escapes C0 controls itself; C1 controls (0x9B is a one-byte CSI), bidirectional overrides and
# line separators are legal raw in JSON but act on a terminal: written as \uXXXX they keep the exact data.
_JSON_ESCAPES = {c: f"\\u{c:04x}" for c in (*range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A))}
_JSON_ESCAPES.update({0x2028: "\\u2028", 0x2029: "\\u2029"})
_JSON_ESCAPES.update({c: f"\\u{c:04x}" for c in range(0xD800, 0xE000)})  # lone surrogates: exact, and writable


def emit_json(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(clean(obj), ensure_ascii=False).translate(_JSON_ESCAPES) + "\n")
    sys.stdout.flush()


def _exit_interrupted(signum: int, frame: FrameType | None) -> None:
    os.write(2, INTERRUPTED)  # os.write: no buffered stream is re-entered from a signal handler
    os._exit(130)


@contextmanager
def interrupts_exit() -> Iterator[None]:
    """While a command starts (its imports, torch's among them), Ctrl+C ends the process at once: exit
    130 and one line; nothing is written yet. A KeyboardInterrupt raised inside `import torch` did not
    reach our one line: measured, 8 of 25 Ctrl+C at random moments of that import aborted in torch's C++
    ("terminate called after throwing … pybind11::error_already_set"), died of the signal, printed a
    53-line RecursionError, became "hello.toml: ImportError …", or was swallowed and the run trained."""
    if threading.current_thread() is not threading.main_thread():  # (a test calling main in a thread)
        yield
        return
    previous = signal.signal(signal.SIGINT, _exit_interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def preload(command: str | None) -> None:
    """torch, for the commands that need it, imported inside `interrupts_exit` (where a Ctrl+C cannot
    land inside it); the app and serve start without it."""
    if command in TORCH_FIRST:
        import torch  # noqa: F401
