"""The core must not depend on the UI stack: import every core module in a fresh interpreter."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import rnntui.core


def core_modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(rnntui.core.__path__, "rnntui.core.")]


def test_core_imports_no_ui_libraries():
    modules = core_modules()
    assert "rnntui.core.trainer" in modules and "rnntui.core.tasks.charlm" in modules
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted(k for k in sys.modules if k.split('.')[0] in ('textual', 'rich', 'plotext'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
