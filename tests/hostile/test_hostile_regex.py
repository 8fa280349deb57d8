"""ReDoS (issue 12, finding 11): a neuron-hunt regex that backtracks without end is stopped at a time
limit with a clear "too slow" — in the CLI and in the app, where it runs off the UI thread and is
dropped when the input changes. (`(A|AA)+$` on 60 A's and a B would take Python's `re` for ever.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from app_helpers import ready, wait_for
from textual.widgets import Input

from rnntui.app.app import RnnApp
from rnntui.cli import main

SLOW = "(A|AA)+$"
TEXT = "A" * 60 + "B"


@pytest.fixture(scope="module")
def hello_run(tmp_path_factory) -> str:
    runs = tmp_path_factory.mktemp("runs")
    out = subprocess.run(
        [sys.executable, "-m", "rnntui", "train", "hello", "--steps", "2", "--device", "cpu", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "RNNTUI_RUNS_DIR": str(runs)},
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.splitlines()[-1])["run_dir"]


def test_the_cli_stops_a_runaway_regex(hello_run) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "rnntui", "hunt", hello_run, TEXT, SLOW], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "too slow" in proc.stderr


def test_the_issue_s_pattern_and_ordinary_regexes_still_rank(hello_run, capsys) -> None:
    assert main(["hunt", hello_run, "HELLO " + "A" * 30 + "B AAA", "(A+)+$", "--json", "--top", "2"]) == 0
    assert len(json.loads(capsys.readouterr().out)["units"]) == 2
    assert main(["hunt", hello_run, "HELLO WORLD", "[AEIOU]", "--json", "--top", "3"]) == 0
    assert len(json.loads(capsys.readouterr().out)["units"]) == 3


async def test_the_app_matches_off_the_ui_thread_and_says_too_slow(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    gaps: list[float] = []
    last = time.perf_counter()

    def beat() -> None:
        nonlocal last
        now = time.perf_counter()
        gaps.append(now - last)
        last = now

    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("3")
        await pilot.pause()
        view = app.query_one("#predict")
        app.query_one("#prefix", Input).value = TEXT
        app.query_one("#hunt", Input).value = SLOW
        await pilot.pause()
        app.set_interval(0.01, beat)
        last = time.perf_counter()
        view.run_hunt()
        await wait_for(pilot, lambda: view.hunt_outcome is not None, timeout=30)
        assert "too slow" in (view.hunt_outcome.error or "")
        # The UI kept drawing while the regex ran (1 s; blocked, one gap would be that long). The first
        # gap is the interval's start; a loaded machine stretches the others to a few tenths at most.
        assert max(gaps[1:]) < 0.5, gaps
        assert app.is_running


async def test_changing_the_input_drops_a_running_hunt(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("3")
        await pilot.pause()
        view = app.query_one("#predict")
        app.query_one("#prefix", Input).value = TEXT
        app.query_one("#hunt", Input).value = SLOW
        await pilot.pause()
        answers = []
        ranked = view.ranked
        view.ranked = lambda m: answers.append(m) or ranked(m)  # the predictor's answer reaches the view
        view.run_hunt()
        app.query_one("#prefix", Input).value = "HELLO"  # typing on: the pending result is stale
        await wait_for(pilot, lambda: bool(answers), timeout=30)
        await pilot.pause()
        assert answers[0].text == TEXT and view.hunt_outcome is None
