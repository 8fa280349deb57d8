"""Helpers for the export tests: the frameworks they need, trained runs, exported programs loaded in-process."""

from __future__ import annotations

import ast
import contextlib
import importlib
import importlib.util
import io
import json
import os
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from rnntui import cli

# Keras is tested under its torch backend (nothing else to install); its config goes to a temp folder.
os.environ["KERAS_BACKEND"] = "torch"
os.environ.setdefault("KERAS_HOME", tempfile.mkdtemp(prefix="rnntui-keras-"))
REQUIRED = os.environ.get("RNNTUI_REQUIRE_EXPORT") == "1"  # CI sets it: a missing framework fails


def need(module: str) -> ModuleType:
    """Import an export framework, or skip the test when it is missing (fail when RNNTUI_REQUIRE_EXPORT=1)."""
    if REQUIRED:
        return importlib.import_module(module)
    return pytest.importorskip(module)


def quiet_main(argv: list[str]) -> tuple[int, str]:
    """`rnntui ARGV` in this process: (exit status, stdout)."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = cli.main(argv)
    return rc, buf.getvalue()


def train(preset: str, runs: Path, *overrides: str, steps: int = 2) -> Path:
    """A run of `preset` trained a few steps (so its weights are not the initial ones)."""
    sets = [x for o in (f"train.steps={steps}", "train.eval_every=1000", *overrides) for x in ("--set", o)]
    rc, out = quiet_main(["train", preset, *sets, "--device", "cpu", "--runs-dir", str(runs), "--json"])
    assert rc == 0, out
    return Path(json.loads(out.splitlines()[-1])["run_dir"])


def run_program(module: ModuleType, *argv: str) -> tuple[int, str]:
    """An exported program's `main(argv)` in this process: (exit status, stdout)."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = module.main(list(argv))
    return rc, buf.getvalue()


def load_program(path: Path) -> ModuleType:
    """The exported file itself (not the package's module), imported under a unique name."""
    spec = importlib.util.spec_from_file_location(f"exported_{abs(hash(str(path)))}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def program_data(text: str) -> dict[str, Any]:
    """The data line of an exported program, read without running it: `DATA = json.loads(<literal>)`."""
    tree = ast.parse(text)
    (assign,) = [n for n in tree.body if isinstance(n, ast.AnnAssign) and getattr(n.target, "id", "") == "DATA"]
    call = assign.value
    assert isinstance(call, ast.Call) and ast.unparse(call.func) == "json.loads" and len(call.args) == 1
    (literal,) = call.args
    assert isinstance(literal, ast.Constant) and isinstance(literal.value, str)
    return json.loads(literal.value)


def close(got: Any, want: Any, tol: float = 1e-4, where: str = "") -> None:
    """Equal JSON, floats within `tol` (relative above 1)."""
    if isinstance(want, float) or isinstance(got, float):
        assert abs(got - want) <= tol * max(1.0, abs(want)), f"{where}: {got} != {want}"
    elif isinstance(want, dict):
        assert isinstance(got, dict) and set(got) == set(want), f"{where}: keys {sorted(got)} != {sorted(want)}"
        for k in want:
            close(got[k], want[k], tol, f"{where}.{k}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{where}: {got} != {want}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            close(g, w, tol, f"{where}[{i}]")
    else:
        assert got == want, f"{where}: {got!r} != {want!r}"
