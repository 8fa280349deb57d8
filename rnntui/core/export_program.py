"""The programs `rnntui export` writes: a runner from `rnntui/exported/`, assembled, plus its data.

A runner module imports the code every runner shares (`rnntui/exported/shared.py`) through one marked
line, `from rnntui.exported.shared import ...  # rnntui:shared`; the program is the runner with that
line replaced by shared.py's text, verbatim, so it is one file that imports nothing of rnntui.

Text from a run (its folder name, the preset's name and title, task parameters, the vocabulary) is
someone else's and may hold `\"\"\"`, a newline and `import os`. It enters a program in exactly one
place, the runner's data line, and only as `json.loads(<repr() of a JSON string>)`: `repr()` makes a
literal that parses back to the same string whatever it holds, and JSON with `ensure_ascii` keeps that
line ASCII. Nothing else changes (tests/test_export_runners.py compares the program with the runner
and shared.py).
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from typing import Any

from rnntui.core.spec import ExperimentSpec, ModelSpec
from rnntui.core.tasks.base import Task

WINDOW = 512  # as the predictor: only the last 512 tokens are fed
RUNNERS = {"pytorch": "pytorch_predict.py", "keras": "keras_predict.py", "onnx": "onnx_predict.py"}
DATA_LINE = 'DATA: dict[str, Any] = json.loads("{}")'
SHARED_IMPORT, SHARED_MARK = "from rnntui.exported.shared import ", "# rnntui:shared"


def runner_source(fmt: str) -> str:
    """The program before its data: the runner with shared.py in place of its marked line. Both are read
    as package data (not imported: a runner imports its framework)."""
    folder = resources.files("rnntui.exported")
    runner = folder.joinpath(RUNNERS[fmt]).read_text(encoding="utf-8")
    return assemble(runner, folder.joinpath("shared.py").read_text(encoding="utf-8"))


def assemble(runner: str, shared: str) -> str:
    """`runner` with its one `# rnntui:shared` import line replaced by `shared`, every other character kept."""
    lines = runner.splitlines(keepends=True)
    marked = [i for i, line in enumerate(lines) if line.rstrip().endswith(SHARED_MARK)]
    if len(marked) != 1 or not lines[marked[0]].startswith(SHARED_IMPORT):
        raise RuntimeError(f"a runner must have exactly one marked import of the shared code, found {len(marked)}")
    i = marked[0]
    return "".join(lines[:i]) + shared + ("" if shared.endswith("\n") else "\n") + "".join(lines[i + 1 :])


def fill(source: str, data: dict[str, Any]) -> str:
    """`source` with its one data line holding `data`, and every other character unchanged."""
    lines = source.splitlines(keepends=True)
    marked = [i for i, line in enumerate(lines) if line.startswith(DATA_LINE)]
    if len(marked) != 1:
        raise RuntimeError(f"a runner must have exactly one data line, found {len(marked)}")
    i = marked[0]
    literal = repr(json.dumps(data, ensure_ascii=True))  # NaN from a damaged run stays NaN
    lines[i] = lines[i].replace('json.loads("{}")', f"json.loads({literal})", 1)
    return "".join(lines)


def output_spec(task: Task) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": task.family.value}
    if task.out_vocab is not None:
        v = task.out_vocab
        out |= {"vocab": v.itos, "bos": v.bos, "eos": v.eos}
        # A language model never predicts these (as Predictor._without_specials)
        out["specials"] = [i for i in (v.pad, v.unk, v.bos) if i is not None]
    out["norm"] = list(task.norm)  # a forecast is de-normalised with these
    out["max_len"] = task.max_output  # as the predictor's greedy decoding
    out["separator"] = task.separator  # how output tokens are written (letters: side by side)
    return out


def arch_spec(m: ModelSpec, task: Task) -> dict[str, Any]:
    tokens = task.reads_tokens
    return {
        "cell": m.cell,
        "hidden": m.hidden_size,
        "layers": m.num_layers,
        "bidirectional": m.bidirectional,
        "dropout": m.dropout if m.num_layers > 1 else 0.0,
        "embedding_dim": m.embedding_dim,
        "pattern": m.pattern,
        "attention": m.attention if m.pattern == "encoder_decoder" else "none",  # none | dot | additive
        "vocab_in": task.n_in if tokens else None,
        "pad": task.in_vocab.pad if tokens and task.in_vocab is not None else None,
        "input_dim": None if tokens else task.input_dim,
        "out_size": task.n_out,
    }


def program(
    fmt: str, run_name: str, spec: ExperimentSpec, task: Task, weights: dict[str, str], blobs: dict[str, bytes]
) -> str:
    """The runner for `fmt` with this run's data: sizes, how it reads a prefix, its vocabulary, its weight
    files (role -> name) and their sha256, which the runner checks: it predicts with no other network."""
    data = {
        "about": {"run": run_name, "preset": spec.name, "title": spec.title},
        "arch": arch_spec(spec.model, task),
        "input": task.prefix_reading(),
        "output": output_spec(task),
        "window": WINDOW,
        "weights": weights,
        "sha256": {role: hashlib.sha256(blob).hexdigest() for role, blob in blobs.items()},
    }
    return fill(runner_source(fmt), data)
