"""Fuzz: random preset documents, `--set` values and data files. Zero tracebacks; every refusal is
exit 2 with one line; what is accepted trains (one step) and ends with a `finished` event."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hostile_util import cli, one_error, rnntui
from rnntui.core.spec import GoalSpec, ModelSpec, TrainSpec
from rnntui.core.tasks import get_task_class, task_names

FUZZ = settings(
    max_examples=40,
    derandomize=True,  # the same examples every run: a failure reproduces
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_count = itertools.count()

# Values at the edges: past float32 and 64-bit ranges, non-finite, empty, tiny.
EDGES = [0, -1, 2**63, 2**64, 10**9, -(10**9), 1e39, 1e300, -1e300, 1e-300, math.nan, math.inf, -math.inf, "", "none"]
VALUES = st.one_of(
    st.sampled_from(EDGES),
    st.integers(min_value=-3, max_value=300),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.booleans(),
    st.lists(st.integers(0, 5), max_size=3),
    st.sampled_from(["lstm", "gru", "rnn_relu", "many_to_one", "none", "sgd", "cpu", "cuda", "min", "", "1e39"]),
)
FIELDS = {
    "model": [f.name for f in dataclasses.fields(ModelSpec)],
    "train": [f.name for f in dataclasses.fields(TrainSpec)],
    "goal": [f.name for f in dataclasses.fields(GoalSpec)],
    "task": sorted({k for n in task_names() for k in get_task_class(n).params} | {"name"}),
}
# Cheap tasks (a few ms to build) so the examples run fast; the others are built by the preset tests.
TASKS = ["char_lm", "adding", "sine", "number_sequences", "spell_number", "sentiment", "river_bank", "nope"]


def toml(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml(x) for x in v) + "]"
    return json.dumps(v)  # a lone surrogate becomes \\udxxx, which TOML refuses: a refusal too


@st.composite
def presets(draw: st.DrawFn) -> str:
    doc = {
        "task": {"name": draw(st.sampled_from(TASKS)), "seq_len": 12},
        "model": {"hidden_size": 8, "embedding_dim": 4},
        "train": {"batch_size": 4, "eval_every": 1000, "device": "cpu"},
    }
    for section in ("task", "model", "train", "goal"):
        extra = draw(st.dictionaries(st.sampled_from(FIELDS[section]), VALUES, max_size=3))
        doc.setdefault(section, {}).update(extra)
    top = "".join(f"{k} = {toml(draw(VALUES))}\n" for k in draw(st.sets(st.sampled_from(["name", "title", "lesson"]))))
    if draw(st.booleans()):
        top += "try_next = " + toml(draw(VALUES)) + "\n"
    tables = "".join(f"[{s}]\n" + "".join(f"{k} = {toml(v)}\n" for k, v in t.items()) for s, t in doc.items())
    return top + tables


def accepted_or_one_line(rc: int, out: str, err: str) -> None:
    if rc == 2:
        one_error(rc, err)
        return
    assert rc == 0 and "Traceback" not in err, (rc, err)
    assert json.loads(out.splitlines()[-1])["event"] == "finished"


@FUZZ
@given(doc=presets())
@example(doc='[task]\nname = "adding"\nseq_len = 1000000000\n[model]\npattern = "many_to_one"\n')
@example(doc='[task]\nname = "char_lm"\n[model]\nforget_bias = 1e39\n[train]\nseed = 18446744073709551616\n')
def test_random_preset_documents(tmp_path: Path, capsys, doc: str) -> None:
    path = tmp_path / f"fuzz-{next(_count)}.toml"
    path.write_text(doc, encoding="utf-8", errors="surrogatepass")
    rc, out, err = cli(capsys, "train", str(path), "--steps", "1", "--json", "--runs-dir", str(tmp_path / "runs"))
    accepted_or_one_line(rc, out, err)


SET_KEYS = [f"{s}.{k}" for s, keys in FIELDS.items() for k in keys if not (s == "task" and k == "path")]


@FUZZ
@given(
    key=st.one_of(st.sampled_from(SET_KEYS), st.sampled_from(SET_KEYS), st.text(max_size=12)),
    value=st.one_of(st.text(max_size=20), VALUES.map(lambda v: toml(v).strip('"'))),
)
@example(key="train.seed", value=str(2**64))
@example(key="model.forget_bias", value="1e39")
@example(key="train.clip_norm", value="1e300")
def test_random_set_values(tmp_path: Path, capsys, key: str, value: str) -> None:
    args = (
        "train",
        "hello",
        "--set",
        f"{key}={value}",
        "--set",
        "model.hidden_size=8",
        "--set",
        "train.eval_every=1000",
    )
    rc, out, err = cli(capsys, *args, "--steps", "1", "--json", "--runs-dir", str(tmp_path / "runs"))
    accepted_or_one_line(rc, out, err)


@settings(FUZZ, max_examples=30)
@given(
    data=st.one_of(
        st.binary(min_size=100, max_size=4000),
        st.text(min_size=100, max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=50, max_size=400).map(
            lambda xs: ("v\n" + "\n".join(map(str, xs))).encode()
        ),
    )
)
@example(data=b"v\n" + b"\n".join([b"1.5"] * 300 + [b"inf"]))
@example(data=("".join(chr(0x4E00 + i) for i in range(3000)) * 2).encode())
def test_random_data_files(tmp_path: Path, capsys, data: bytes) -> None:
    path = tmp_path / f"data-{next(_count)}.txt"
    path.write_bytes(data)
    runs = ("--steps", "1", "--json", "--runs-dir", str(tmp_path / "runs"))
    small = ("--set", "model.hidden_size=8", "--set", "train.eval_every=1000")
    for preset, column in (("hello", ()), ("sine", ("--set", "task.column=0"))):
        rc, out, err = cli(capsys, "train", preset, "--set", f"task.path={path}", *column, *small, *runs)
        accepted_or_one_line(rc, out, err)


def test_hostile_inputs_through_a_real_process(tmp_path: Path) -> None:
    preset = tmp_path / "evil.toml"
    preset.write_text('title = "\\u001b]0;pwned\\u0007"\n[task]\nname = "char_lm"\nseq_len = 1e300\n')
    blob = tmp_path / "blob.txt"
    blob.write_bytes(bytes(range(256)) * 20)
    for args in (
        ("train", str(preset)),
        ("train", "hello", "--set", "model.cell=\x1b[2J\x07"),
        ("train", "hello", "--set", f"task.path={blob}"),
        ("train", "hello", "--set", "train.seed=-1"),
    ):
        out = rnntui(*args, "--runs-dir", str(tmp_path / "runs"), timeout=60)
        line = one_error(out.returncode, out.stderr)
        assert "\x1b" not in line and "\x07" not in line
