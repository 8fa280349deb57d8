"""Helpers for the export tests: the frameworks they need, trained runs, exported programs loaded in-process."""

from __future__ import annotations

import ast
import contextlib
import dataclasses
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
import torch

from helpers import tiny
from rnntui import cli
from rnntui.core.spec import ExperimentSpec

# Keras is tested under its torch backend (nothing else to install). Its config (keras.json, which
# `import keras` writes) goes to a temp folder, always: a test run never writes ~/.keras or the
# KERAS_HOME of the person running it. Programs run as subprocesses inherit both.
os.environ["KERAS_BACKEND"] = "torch"
os.environ["KERAS_HOME"] = tempfile.mkdtemp(prefix="rnntui-keras-")
REQUIRED = os.environ.get("RNNTUI_REQUIRE_EXPORT") == "1"  # CI sets it: a missing framework fails


FRAMEWORKS = {"pytorch": (), "keras": ("keras",), "onnx": ("onnx", "onnxruntime")}  # writing and running each


def need(*modules: str) -> ModuleType | None:
    """Import export frameworks, or skip the test when one is missing (fail when RNNTUI_REQUIRE_EXPORT=1)."""
    found = None
    for module in modules:
        try:
            found = importlib.import_module(module)
        except ImportError as exc:
            if REQUIRED:
                raise
            pytest.skip(f"{module} is not installed ({exc}): pip install 'rnntui[export]'", allow_module_level=True)
    return found


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


def randomised(module: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Every weight and bias uniform in [-0.5, 0.5): b_ih != b_hh, so a wrong bias rule shows."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.rand(p.shape, generator=g) - 0.5)
    return module.eval()


def spec_of(task: str, params: dict[str, Any], **model: Any) -> ExperimentSpec:
    s = tiny(task, params, **model)
    return dataclasses.replace(s, model=dataclasses.replace(s.model, hidden_size=6, embedding_dim=5))


REVERSE = {"min_len": 3, "max_len": 9}  # short strings: a randomised decoder writes up to 10 letters
PATTERNS = [
    ("stacked-lstm-dropout", spec_of("char_lm", {"corpus": "hello", "seq_len": 8}, num_layers=3, dropout=0.3), "HELLO"),
    ("relu-tags-bi-2", spec_of("pos_tagging", {"sentences": 300}, cell="rnn_relu", bidirectional=True, num_layers=2),
     "the dog saw a duck"),
    ("gru-classify", spec_of("sentiment", {}, cell="gru", pattern="many_to_one"), "the movie was not good"),
    ("tanh-bi-regress", spec_of("adding", {"seq_len": 8}, cell="rnn_tanh", pattern="many_to_one", bidirectional=True,
                                num_layers=2), "0.3 0.7* 0.1 0.5*"),
    ("gru-generator-2", spec_of("spell_number", {}, cell="gru", pattern="one_to_many", num_layers=2), "342"),
    ("lstm-generator", spec_of("spell_number", {}, cell="lstm", pattern="one_to_many"), "17"),
    ("lstm-bi-encoder-2", spec_of("translate", {"train_pairs": 400}, pattern="encoder_decoder", bidirectional=True,
                                  num_layers=2, dropout=0.2), "the black cat sees a red apple"),
    ("gru-encoder", spec_of("translate", {"train_pairs": 400}, cell="gru", pattern="encoder_decoder"), "a dog"),
    ("dot-gru-bi", spec_of("reverse", REVERSE, cell="gru", pattern="encoder_decoder", bidirectional=True,
                           attention="dot"), "Abc de"),
    ("dot-lstm", spec_of("reverse", REVERSE, cell="lstm", pattern="encoder_decoder", attention="dot"), "hello"),
    ("additive-gru", spec_of("reverse", REVERSE, cell="gru", pattern="encoder_decoder", attention="additive"), "ab"),
    ("additive-lstm-bi-2", spec_of("reverse", REVERSE, cell="lstm", pattern="encoder_decoder", bidirectional=True,
                                   num_layers=2, attention="additive"), "a b c d e f g"),
    ("additive-translate", spec_of("translate", {"train_pairs": 400}, cell="gru", pattern="encoder_decoder",
                                   attention="additive"), "the black cat"),
]  # fmt: skip
