"""The exported programs are real modules: a runner with shared.py's text in place of its one marked
import and its data line filled, nothing else changed; a program imports its framework and the standard
library only (nothing of rnntui) and reads a prefix as the task does."""

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
from export_helpers import need, program_data, quiet_main, train
from rnntui.core.export import export
from rnntui.core.export_program import DATA_LINE, RUNNERS, SHARED_MARK, assemble, runner_source
from rnntui.core.tasks.adding import AddingTask
from rnntui.core.tasks.charlm import CharLMTask
from rnntui.core.tasks.numbers import NumberSequenceTask
from rnntui.core.tasks.reverse import ReverseTask
from rnntui.core.tasks.sentiment import SentimentTask
from rnntui.core.tasks.seq2seq import SpellNumberTask
from rnntui.core.tasks.series import SineTask
from rnntui.core.textsafe import one_line
from rnntui.exported import shared

FOLDER = Path(rnntui.exported.__file__).parent
FRAMEWORK = {"pytorch": {"torch"}, "keras": {"keras", "numpy"}, "onnx": {"onnxruntime", "numpy"}}
SHARED = Path(shared.__file__).read_text(encoding="utf-8")


def imported(text: str) -> set[str]:
    """The top-level packages a module's text imports."""
    tree = ast.parse(text)
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    return names | {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}


@pytest.fixture(scope="module")
def hello_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train("hello", tmp_path_factory.mktemp("runs"))


@pytest.mark.parametrize("fmt", list(RUNNERS))
def test_the_program_is_the_runner_with_shared_in_place_of_its_marker_and_its_data_filled(fmt, hello_run):
    if fmt == "onnx":
        need("onnx")  # writing .onnx files needs it
    runner = (FOLDER / RUNNERS[fmt]).read_text(encoding="utf-8").splitlines()
    (marked,) = [i for i, line in enumerate(runner) if line.endswith(SHARED_MARK)]
    assert runner[marked].startswith("from rnntui.exported.shared import ")
    module = runner[:marked] + SHARED.splitlines() + runner[marked + 1 :]  # shared.py's text, verbatim
    exported = export(str(hello_run), fmt)[0].read_text(encoding="utf-8").splitlines()
    differ = [i for i, (a, b) in enumerate(zip(module, exported, strict=True)) if a != b]
    assert len(differ) == 1 and module[differ[0]].startswith(DATA_LINE)
    head, tail = module[differ[0]].split('json.loads("{}")')
    assert exported[differ[0]].startswith(head + "json.loads(") and exported[differ[0]].endswith(")" + tail)
    assert program_data("\n".join(exported))["arch"]["cell"] == "lstm"  # and the data reads back


@pytest.mark.parametrize("fmt", list(RUNNERS))
def test_a_program_imports_its_framework_and_the_standard_library_only(fmt):
    """The runner module imports rnntui's shared code, through its marked line only; the program, nothing of rnntui."""
    runner = (FOLDER / RUNNERS[fmt]).read_text(encoding="utf-8")
    assert imported(runner) - set(sys.stdlib_module_names) == FRAMEWORK[fmt] | {"rnntui"}
    imports = [n for n in ast.walk(ast.parse(runner)) if isinstance(n, ast.Import | ast.ImportFrom)]
    ours = [n.lineno for n in imports if "rnntui" in imported(ast.unparse(n))]
    assert ours == [i + 1 for i, line in enumerate(runner.splitlines()) if line.endswith(SHARED_MARK)]
    assert imported(runner_source(fmt)) - set(sys.stdlib_module_names) == FRAMEWORK[fmt]
    compile(runner_source(fmt), RUNNERS[fmt], "exec")  # ast.parse lets a `from __future__` mid-file pass
    assert imported(SHARED) <= set(sys.stdlib_module_names)  # its text lands in every program


def test_assembly_needs_exactly_one_marked_import():
    line = f"from rnntui.exported.shared import run  {SHARED_MARK}\n"
    assert assemble(f"a = 1\n{line}b = 2\n", "s = 3\n") == "a = 1\ns = 3\nb = 2\n"
    for runner in ("a = 1\n", line * 2, f"import os  {SHARED_MARK}\n"):
        with pytest.raises(RuntimeError, match="exactly one marked import"):
            assemble(runner, "s = 3\n")


def test_a_program_runs_isolated(hello_run, tmp_path):
    """`python -I`: no rnntui on the path, no PYTHONPATH; the program still runs and prints what predict does."""
    script = export(str(hello_run), "pytorch", out=str(tmp_path / "m.py"))[0]
    done = subprocess.run([sys.executable, "-I", str(script), "HELL"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == quiet_main(["predict", str(hello_run), "HELL"])[1]


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
    "letters": ReverseTask({"letters": 20}),
}
TYPED = st.text(alphabet=st.sampled_from(list("HELOhelo wrldTHE cat movie not 0123456789-+.e*,;²٣ßﬁİ\t\n\u2028'é!XYZ")))


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
        ("letters", " \t\n", "give a non-empty prefix"),
        ("letters", "Attention, yo", "not in the vocabulary: ',', 'y'"),  # 20 letters: a to t
        ("letters", "İ", "not in the vocabulary: 'İ'"),  # its lower case is two characters
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
