"""What every command module shares: the user-error type and JSON lines output."""

from __future__ import annotations

import json
import math
import sys
from typing import Any


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
