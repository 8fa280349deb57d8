"""Hunt regexes, fuzzed (issue 12): whatever a person types as a neuron-hunt pattern is either a
result or a HuntError of one line; the CLI exits 0, or 2 with exactly one line on stderr, with no
traceback and no warning. Python's `re` printed a FutureWarning ("Possible nested set") around the
refusal of `[[a]` (3 lines), and before the output of `[[:alpha:]]`, which it accepts."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostile_util import cli, one_error, trained
from rnntui.core.errors import HuntError
from rnntui.core.experiment import from_checkpoint
from rnntui.core.hunt import hunt, match_spans
from rnntui.core.predictor import Predictor

# Pieces of regex syntax, Python's and the `regex` package's own (which is refused), and the sets
# that make `re` warn: drawn and joined, they reach far more of both parsers than random characters.
PIECES = [
    "a", "A", "L", "O", " ", "é", ".", "*", "+", "?", "*?", "|", "^", "$", "(", ")", "[", "]", "[^", "-",
    "{", "}", "{2}", "{1,}", "{0,1000}", "\\", "\\d", "\\w", "\\s", "\\b", "\\Z", "\\1", "\\g<0>", "\\q",
    "\\N{DIGIT ONE}", "\\p{L}", "\\x4", "\\u00e9", "(?i)", "(?x)", "(?s:", "(?P<n>", "(?P=n)", "(?<=a)",
    "(?<!b)", "(?=", "(?!", "(?#", "(?(1)a|b)", "(?R)", "(?V1)", "(?>", "{e<=1}", "[[", "[:alpha:]",
    "--", "&&", "||", "~~", "\n", "\x00", "\x1b",
]  # fmt: skip
PATTERNS = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=8).map("".join),
    st.text(alphabet="aAL[]()*+?{}|^$\\.-&~:,=<>!#PpdwsbZ0129 \n", max_size=16),
)
TEXTS = st.sampled_from(["HELLO WORLD", "HELLO [a] WORLD", "A" * 30 + "B", "", "L", "héllo\n[:x:]"])
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@contextlib.contextmanager
def no_warning() -> Iterator[None]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    assert not caught, [str(w.message) for w in caught]


def one_line_refusal(exc: HuntError) -> None:
    message = str(exc)
    assert message and "\n" not in message and "\r" not in message, message


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return trained(tmp_path_factory.mktemp("runs")).path


@pytest.fixture(scope="module")
def predictor(run: Path) -> Predictor:
    _, task, model = from_checkpoint(str(run))
    return Predictor(model, task)


@FUZZ
@given(pattern=PATTERNS, text=TEXTS)
def test_any_pattern_is_spans_or_a_one_line_refusal(pattern: str, text: str) -> None:
    with no_warning():
        try:
            spans = match_spans(text, pattern)
        except HuntError as exc:
            one_line_refusal(exc)
            return
    assert all(0 <= start <= end <= len(text) for start, end in spans)


@settings(FUZZ, max_examples=80)
@given(pattern=PATTERNS, text=TEXTS)
def test_any_pattern_ranks_units_or_is_a_one_line_refusal(predictor: Predictor, pattern: str, text: str) -> None:
    with no_warning():
        try:
            units, _ = hunt(predictor, text, pattern, top=3)
        except HuntError as exc:
            one_line_refusal(exc)
            return
    assert len(units) <= 3 and all(-1.0001 <= u.score <= 1.0001 for u in units)


@settings(FUZZ, max_examples=60)
@given(pattern=PATTERNS, text=TEXTS)
def test_the_cli_hunt_exits_0_or_2_with_one_line(run: Path, capsys, pattern: str, text: str) -> None:
    with no_warning():
        rc, out, err = cli(capsys, "hunt", str(run), text, pattern, "--top", "2")
    if rc == 0:
        assert err == "" and len(out.splitlines()) <= 2
    else:
        one_error(rc, err)


CLI_RUNS = """
import contextlib, io, json, sys
from rnntui.cli import main

results = []
for pattern in json.loads(sys.argv[2]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(["hunt", sys.argv[1], "HELLO [a] :LL: WORLD", pattern])
    results.append([pattern, rc, err.getvalue()])
print(json.dumps(results))
"""


def test_patterns_python_warns_about_print_no_warning_from_the_cli(run: Path) -> None:
    """Outside pytest (which records warnings): the CLI's real stderr, with Python's default filters."""
    patterns = ["[[a]", "[[:alpha:]]", "[a--b]", "[a&&b]", "[a||b]", "[a~~b]", "(", "(?R)", "L"]
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CLI_RUNS), str(run), json.dumps(patterns)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    results = json.loads(done.stdout)
    for pattern, rc, err in results:
        if rc == 0:
            assert err == "", (pattern, err)
        else:
            one_error(rc, err)
    assert {p for p, rc, _ in results if rc == 0} >= {"[[:alpha:]]", "L"}
