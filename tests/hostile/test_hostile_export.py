"""Exports of a shared run: its text is data, never code; its names never choose where files go.

Findings (issue 12): 1. a preset's name, title, vocabulary or run folder name spliced into the
exported script ran as code; 2. the default file name came from the preset's name (`../x`, `/abs`)
and an existing file was overwritten; 14. `export --out` into a missing or unwritable folder was a
traceback. Each test below failed on the code before the fix.
"""

from __future__ import annotations

import ast
import dataclasses
import io
import os
import shutil
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from export_helpers import FRAMEWORKS, load_program, need, quiet_main, train
from rnntui import cli
from rnntui.core.export_program import DATA_LINE, RUNNERS, program, runner_source
from rnntui.core.fileio import atomic_write_bytes
from rnntui.core.model import SequenceModel
from rnntui.core.runs import read_checkpoint, write_checkpoint
from rnntui.core.tasks.charlm import CharLMTask
from rnntui.core.tomlwrite import spec_to_toml

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # inside keras


def payload(tag: str) -> str:
    return f"import pathlib; pathlib.Path({f'PWNED-{tag}'!r}).write_text('pwned')"


# Each closes the string or comment it would have been spliced into, runs its payload, reopens it.
NAME = f'x"""\n{payload("name")}\n"""  \\ \u2028 %(prog)s %d'
TITLE = f"t'''\n{payload('title')}\n'''\r{payload('title-cr')}\r */ \x00 \x1b]0;retitled\x07"
FOLDER = f'r"""\n{payload("folder")}\n"""\\ \u2028 \r{payload("folder-cr")}\r'  # no "/" in a folder name
VOCAB = ['"', "'", "\\", "\n", "\r", "\x00", "\u2028", "*", "/", "\x1b", "#"]  # each a token of the model


@pytest.fixture(scope="module")
def base_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train("hello", tmp_path_factory.mktemp("runs"))


def rewritten(base: Path, dest: Path, **spec_fields: str) -> Path:
    """A copy of the run under `dest`, its spec changed and (with `VOCAB`) its rare characters replaced."""
    shutil.copytree(base, dest)
    cp = read_checkpoint(base / "checkpoint.pt")
    spec = dataclasses.replace(cp.spec, **spec_fields)
    chars = list(cp.task_state["chars"])
    rare = [i for i, c in enumerate(chars) if c not in "HELO "]
    for i, hostile in zip(rare, VOCAB, strict=False):
        chars[i] = hostile
    state = {**cp.task_state, "chars": chars}
    model = SequenceModel(spec.model, CharLMTask(spec.task.params, state=state))
    model.load_state_dict(cp.model_state)
    write_checkpoint(dest / "checkpoint.pt", spec, state, model, None, cp.step)
    atomic_write_bytes(dest / "spec.toml", spec_to_toml(spec).encode("utf-8"))
    return dest


@pytest.fixture(scope="module")
def hostile(base_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return rewritten(base_run, tmp_path_factory.mktemp("shared") / FOLDER, name=NAME, title=TITLE)


def exported_program(run: Path, fmt: str) -> Path:
    """Export through the command line; the program is the new .py file in the run folder."""
    before = set(run.iterdir())
    assert cli.main(["export", str(run), "--format", fmt]) == 0
    (script,) = [p for p in set(run.iterdir()) - before if p.suffix == ".py"]
    return script


@pytest.mark.parametrize("fmt", ["pytorch", "keras", "onnx"])
def test_hostile_text_is_data_never_code(fmt, hostile, tmp_path):
    """Finding 1: the script runs under `python -I` with no side effect and prints what `predict` prints."""
    need(*FRAMEWORKS[fmt])
    script = exported_program(hostile, fmt)
    env = {**os.environ, "KERAS_BACKEND": "torch"}
    argv = [sys.executable, "-I", str(script), "HELL", "--top", "40"]
    out = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert not list(tmp_path.glob("PWNED*")) and not list(hostile.glob("PWNED*"))
    assert out.returncode == 0, out.stderr
    assert out.stdout == quiet_main(["predict", str(hostile), "HELL", "--top", "40"])[1]
    assert "␛" in out.stdout and "\x1b" not in out.stdout and "\r" not in out.stdout  # tokens shown, not obeyed


def test_the_help_of_a_hostile_program_is_one_safe_description(base_run, tmp_path, capsys):
    run = rewritten(base_run, tmp_path / FOLDER, name=NAME, title=TITLE)
    module = load_program(exported_program(run, "pytorch"))
    with pytest.raises(SystemExit) as done:
        module.main(["--help"])
    assert done.value.code == 0
    shown = capsys.readouterr().out
    assert "PWNED-name" in shown and "\u2028" not in shown and "%(prog)s %d" in shown


MARK = "ZQXJ"  # in no runner's source: any string constant or comment holding it came from the data
HOSTILE = st.text(alphabet=st.sampled_from([*"\"'\\\n\r\x00\u2028\u2029*/#{}%$ ", "é", "\x1b", "\udcff"]), max_size=30)


@pytest.fixture(scope="module")
def spec_and_task(base_run: Path):
    cp = read_checkpoint(base_run / "checkpoint.pt")
    return cp.spec, CharLMTask(cp.spec.task.params, state=cp.task_state)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=HOSTILE, title=HOSTILE, folder=HOSTILE, token=HOSTILE)
def test_no_text_leaves_the_data_line(name, title, folder, token, spec_and_task):
    """Finding 1, for any text: the script parses; the only string holding the run's text is the data
    literal; no comment holds any; every other line is the runner's own."""
    spec, task = spec_and_task
    spec = dataclasses.replace(spec, name=MARK + name, title=MARK + title)
    vocab = task.in_vocab.itos
    saved, vocab[-1] = vocab[-1], MARK + token  # a vocabulary entry too
    try:
        for fmt in RUNNERS:
            text = program(fmt, MARK + folder, spec, task, {"network": MARK + folder + ".w"}, {"network": b""})
            lines, module = text.splitlines(), runner_source(fmt).splitlines()
            (data,) = [i + 1 for i, line in enumerate(lines) if line.startswith(DATA_LINE.split("(")[0])]
            strings = [n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
            assert [n.lineno for n in strings if MARK in n.value] == [data]
            tokens = tokenize.generate_tokens(io.StringIO(text).readline)
            assert not any(MARK in t.string for t in tokens if t.type == tokenize.COMMENT)
            assert lines[: data - 1] == module[: data - 1] and lines[data:] == module[data:]
    finally:
        vocab[-1] = saved
