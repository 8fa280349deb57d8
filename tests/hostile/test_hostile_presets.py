"""Findings 9 and 15: hostile preset files, and `rnntui --preset NAME` checked before the app starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hostile_util import cli, one_error, rnntui
from rnntui.core.presets import MAX_DEPTH


@pytest.fixture()
def user_presets(tmp_path: Path) -> Path:
    folder = Path(os.environ["RNNTUI_PRESETS_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def hostile_presets(folder: Path) -> None:
    (folder / "deep.toml").write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    (folder / "tables.toml").write_text("x = " + "{a = " * 50 + "1" + "}" * 50 + "\n")
    (folder / "zero.toml").symlink_to("/dev/zero")
    os.mkfifo(folder / "fifo.toml")
    (folder / "huge.toml").write_text('title = "' + "x" * 300_000 + '"\n')
    (folder / "long.toml").write_text("x = " + "9" * 5000 + "\n")
    (folder / "hello.toml").write_text('title = "broken"\n[task]\nname = "char_lm"\n[model]\nhidden_size = "big"\n')


def test_hostile_user_presets_are_listed_with_their_error_and_the_built_ins_still_load(user_presets) -> None:
    hostile_presets(user_presets)
    out = rnntui("presets", "--json", timeout=60)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    errors = {Path(r["path"]).name: r["error"] for r in rows if "error" in r}
    assert set(errors) == {"deep.toml", "tables.toml", "long.toml", "zero.toml", "fifo.toml", "huge.toml", "hello.toml"}
    # one wording for both depths: the parser's own limit (RecursionError) and rnntui's
    assert errors["deep.toml"].endswith(f"deep.toml: tables and arrays nested too deeply (limit {MAX_DEPTH})")
    assert errors["tables.toml"].endswith(f"tables.toml: tables and arrays nested too deeply (limit {MAX_DEPTH})")
    assert errors["long.toml"].endswith("long.toml: not valid TOML: a number too long to read")
    assert "regular file" in errors["zero.toml"] and "regular file" in errors["fifo.toml"]
    assert "limit" in errors["huge.toml"] and "model.hidden_size" in errors["hello.toml"]
    built_in = {r["name"] for r in rows if "error" not in r}
    assert {"hello", "sine", "translate"} <= built_in  # the broken hello.toml did not replace the built-in


def test_train_hello_and_the_app_start_survive_hostile_user_presets(user_presets, tmp_path, capsys) -> None:
    hostile_presets(user_presets)
    rc, out, err = cli(capsys, "train", "hello", "--steps", "1", "--json", "--runs-dir", str(tmp_path / "runs"))
    assert rc == 0, err
    assert json.loads(out.splitlines()[-1])["event"] == "finished"
    from rnntui.core.presets import discover

    names = [e.name for e in discover() if e.spec is not None]  # what the app's start loads
    assert "hello" in names


def test_a_preset_file_given_by_path_is_read_as_a_regular_file_only(tmp_path, capsys) -> None:
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    assert "regular file" in one_error(*cli(capsys, "train", str(fifo))[::2])
    deep = tmp_path / "deep.toml"
    deep.write_text("[task]\nname = " + "[" * 50_000 + "]" * 50_000 + "\n")
    assert f"nested too deeply (limit {MAX_DEPTH})" in one_error(*cli(capsys, "train", str(deep))[::2])


def test_an_unknown_preset_for_the_app_is_exit_2_before_the_app_starts() -> None:
    out = rnntui("--preset", "nope", timeout=60)
    assert out.returncode == 2, (out.returncode, out.stderr[-500:])
    assert out.stderr.strip().splitlines() == [out.stderr.strip()] and "unknown preset 'nope'" in out.stderr
    assert "hello" in out.stderr  # the names to choose from


def test_the_preset_name_check_does_not_import_torch() -> None:
    code = (
        "import sys\n"
        "from rnntui.core.presets import check_preset_name\n"
        "check_preset_name('hello')\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
