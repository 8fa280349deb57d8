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


def emit_json(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(clean(obj), ensure_ascii=False) + "\n")
    sys.stdout.flush()
