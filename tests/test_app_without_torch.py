"""The app's process never imports torch (issue 15: memory). Training and Predict with its neuron
hunt are answered by child processes (the predictor's restarted after it was killed, too); a Build
edit, the presets menu, the Runs view and a comparison's variants read specs and run folders
without it (core/lazy_torch.py). Before, the app imported torch once its first network was ready
(for the menu and the predictor), and its process grew by ~130 MB; with the predictor in its own
process, the first visit to Runs imported it in a worker and held the event loop ~200 ms
(tests/test_app_stall.py), and a restarted predictor's weights were unpickled in the app."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

SCRIPT = """
import asyncio, os, signal, sys
sys.path.insert(0, sys.argv[1])
from app_helpers import ready, wait_for
from textual.widgets import Input
from rnntui.app.app import RnnApp
from rnntui.app.widgets.presets_screen import PresetsScreen

async def main():
    app = RnnApp(runs_dir=sys.argv[2])
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("space")
        await wait_for(pilot, lambda: app.training.step > 5)
        await pilot.press("3")
        view = app.query_one("#predict")
        await wait_for(pilot, lambda: view.prediction is not None and view.prediction.prefix == "HELL")
        app.query_one("#hunt", Input).value = "L"
        view.run_hunt()
        await wait_for(pilot, lambda: view.hunt_outcome is not None)
        print("HUNT", view.hunt_outcome.error or len(view.hunt_outcome.units))
        os.kill(app.predictor.client.pid, signal.SIGKILL)  # its restart must not read the weights here
        await wait_for(pilot, lambda: app.predicting.failure is not None)
        app.query_one("#prefix", Input).value = "HELLO"
        await wait_for(pilot, lambda: view.prediction.prefix == "HELLO" and not view.partial)
        print("RESTARTED", app.predictor.client.pid is not None)
        await pilot.press("escape", "space")
        await pilot.press("1")
        app.query_one("#hidden_size", Input).value = "48"  # a Build edit: the spec checked by its task
        build = app.query_one("#build")
        await wait_for(pilot, lambda: build.form_spec is not None and build.form_spec.model.hidden_size == 48)
        await pilot.press("4")
        runs = app.query_one("#runs")
        await wait_for(pilot, lambda: len(runs.runs) == 1)  # the run just trained, listed
        from rnntui.core.compare import parse_vary, variants
        print("VARIANTS", len(variants(app.training.spec, parse_vary("model.cell=gru,lstm"))))
        app.action_presets()
        await wait_for(pilot, lambda: isinstance(app.screen, PresetsScreen) and app.screen.query("OptionList"))
        await pilot.pause()
        await pilot.press("escape")
        print("PRESETS", len(app.preset_entries))
    print("TORCH", "torch" in sys.modules)

asyncio.run(main())
"""


def test_the_apps_process_trains_predicts_hunts_and_lists_presets_without_torch(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(TESTS), str(tmp_path)], capture_output=True, text=True, timeout=240
    )
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    assert done.returncode == 0 and "TORCH" in lines, done.stderr[-3000:]
    assert lines["HUNT"] == "5"  # five units ranked, by the predictor's process
    assert lines["RESTARTED"] == "True"  # killed, and started again by the next key
    assert lines["PRESETS"] == "14"  # the menu
    assert lines["VARIANTS"] == "2"
    assert lines["TORCH"] == "False"
