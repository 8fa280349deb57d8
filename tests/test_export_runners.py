"""The exported programs are real modules: copied verbatim but for one data line, one shared block in
all of them, only their framework and the standard library imported, reading a prefix as the task does."""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnntui.exported
from export_helpers import need, program_data, train
from rnntui.core.export import export
from rnntui.core.export_program import DATA_LINE, RUNNERS
from rnntui.core.tasks.adding import AddingTask
from rnntui.core.tasks.charlm import CharLMTask
from rnntui.core.tasks.numbers import NumberSequenceTask
from rnntui.core.tasks.sentiment import SentimentTask
from rnntui.core.tasks.seq2seq import SpellNumberTask
from rnntui.core.tasks.series import SineTask
from rnntui.core.textsafe import one_line
from rnntui.exported import shared

FOLDER = Path(rnntui.exported.__file__).parent
FRAMEWORK = {"pytorch": {"torch"}, "keras": {"keras", "numpy"}, "onnx": {"onnxruntime", "numpy"}}


def block(text: str) -> str:
    return text[text.index("# ---- shared: begin") : text.index("# ---- shared: end")]


@pytest.fixture(scope="module")
def hello_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train("hello", tmp_path_factory.mktemp("runs"))


@pytest.mark.parametrize("fmt", list(RUNNERS))
def test_the_exported_file_is_the_module_but_for_its_data_line(fmt, hello_run):
    if fmt == "onnx":
        need("onnx")  # writing .onnx files needs it
    module = (FOLDER / RUNNERS[fmt]).read_text(encoding="utf-8").splitlines()
    exported = export(str(hello_run), fmt)[0].read_text(encoding="utf-8").splitlines()
    differ = [i for i, (a, b) in enumerate(zip(module, exported, strict=True)) if a != b]
    assert len(differ) == 1 and module[differ[0]].startswith(DATA_LINE)
    head, tail = module[differ[0]].split('json.loads("{}")')
    assert exported[differ[0]].startswith(head + "json.loads(") and exported[differ[0]].endswith(")" + tail)
    assert program_data("\n".join(exported))["arch"]["cell"] == "lstm"  # and the data reads back


@pytest.mark.parametrize("fmt", list(RUNNERS))
def test_every_runner_carries_the_shared_block_unchanged(fmt):
    assert block((FOLDER / RUNNERS[fmt]).read_text(encoding="utf-8")) == block(Path(shared.__file__).read_text())


@pytest.mark.parametrize("fmt", list(RUNNERS))
def test_a_runner_imports_its_framework_and_the_standard_library_only(fmt):
    tree = ast.parse((FOLDER / RUNNERS[fmt]).read_text(encoding="utf-8"))
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert names - set(sys.stdlib_module_names) == FRAMEWORK[fmt]


def test_runners_show_text_as_rnntui_does():
    everything = "".join(map(chr, range(0x110000)))
    assert everything.translate(shared.SHOWN) == one_line(everything)


TASKS = {
    "chars-upper": CharLMTask({"corpus": "hello", "case": "upper"}),
    "chars-keep": CharLMTask({"corpus": "stories"}),
    "words": SentimentTask({}),
    "numbers": NumberSequenceTask({}),
    "series": SineTask({}, state={"norm": [3.0, 2.5]}),
    "adding": AddingTask({}),
    "digits": SpellNumberTask({}),
}
TYPED = st.text(alphabet=st.sampled_from(list("HELOhelo wrldTHE cat movie not 0123456789-+.e*,;²٣ßﬁ\t\n'é!")))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(text=TYPED, name=st.sampled_from(sorted(TASKS)))
def test_a_runner_reads_a_prefix_as_the_task_does(text, name):
    task = TASKS[name]
    tokens, inputs, unknown = shared.read_prefix(text, task.prefix_reading())
    want = task.tokenize(text)
    assert tokens == [t.text for t in want]
    assert inputs == [t.id if task.reads_tokens else list(t.value) for t in want]
    assert unknown == [t.text for t in want if t.unknown]


@pytest.mark.parametrize(
    ("name", "prefix", "why"),
    [
        ("chars-upper", "", "give a non-empty prefix"),
        ("chars-upper", "HELL~", "not in the vocabulary: '~'"),
        ("words", "the movie was zebra", "not in the vocabulary: 'zebra'"),
        ("words", "   ", "give a non-empty prefix"),
        ("numbers", "2 4 x", "not in the vocabulary: 'x'"),
        ("series", "0.1 nan 0.3", "not a number: 'nan'"),
        ("adding", "0.1* abc", "not a number: 'abc'"),
        ("digits", "1000", "not a whole number from 0 to 999: '1000'"),
        ("digits", "²", "not a whole number from 0 to 999: '²'"),
    ],
)
def test_a_prefix_the_network_cannot_read_is_refused(name, prefix, why):
    """Where `predict` reads an unknown token as <unk> and notes it, a program refuses it: one line, exit 2."""
    data = {"input": TASKS[name].prefix_reading(), "output": {"kind": "lm"}, "window": 512}
    with pytest.raises(shared.UserError, match="^" + why.replace("?", r"\?") + "$"):
        shared.predict(lambda: pytest.fail("the network is not loaded for a refused prefix"), prefix, data, 3)


def test_keras_without_a_backend_is_one_line(hello_run, tmp_path):
    """Keras takes tensorflow when KERAS_BACKEND is not set (and no keras.json says otherwise); without
    tensorflow, `import keras` was a 40-line traceback. Now: one line that says what to set, exit 2."""
    need("keras")
    if importlib.util.find_spec("tensorflow") is not None:
        pytest.skip("tensorflow is installed: Keras starts without KERAS_BACKEND")
    script = export(str(hello_run), "keras", out=str(tmp_path / "m.py"))[0]
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    env["KERAS_HOME"] = str(tmp_path / "keras-home")  # empty: no keras.json can choose a backend
    done = subprocess.run([sys.executable, str(script), "HELL"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("m.py: error: Keras cannot start") and "KERAS_BACKEND=torch" in line, line


def test_the_export_tests_keep_keras_out_of_the_home_folder():
    home = Path(os.environ["KERAS_HOME"]).resolve()
    assert home.is_relative_to(Path(tempfile.gettempdir()).resolve()) and home.name.startswith("rnntui-keras-")
