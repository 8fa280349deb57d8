"""The first frame shows the real preset (issue 13.1): its fields, diagram, lesson and parameter
count, read without torch — no placeholders (RNN-tanh, many→one, empty fields) while torch loads."""

from __future__ import annotations

import json
import subprocess
import sys

from textual.widgets import Input, Static

from rnntui.app.app import RnnApp
from rnntui.app.widgets.form import Choice
from rnntui.core.experiment import build_model, build_task, task_sizes
from rnntui.core.presets import discover
from rnntui.core.size_table import BUILTIN, key, recall, remember
from rnntui.core.spec import TaskSpec


async def test_the_first_frame_is_the_preset_itself(tmp_path) -> None:
    app = RnnApp(preset="translate", runs_dir=str(tmp_path))
    # The network is asked for at the first frame and may be ready a tenth of a second later (a
    # warm fork server): held back, so what is on screen can only be the preview.
    app.start_first = lambda: None
    app.read_menu = lambda: None
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()  # the first frame, long before torch and the trainer are up
        assert app.training.spec is None  # no network built yet: this is the preview
        assert app.query_one("#cell", Choice).value == "gru"
        assert app.query_one("#pattern", Choice).value == "encoder_decoder"
        assert app.query_one("#hidden_size", Input).value == "128"
        expected = build_model(discover_spec("translate"), build_task(discover_spec("translate").task)).param_count()
        assert f"{expected:,}" in str(app.query_one("#params", Static).content)
        assert "encoder" in str(app.query_one("#diagram", Static).content)
        assert "Spanish" in str(app.query_one("#lesson-text", Static).content)


def discover_spec(name: str):
    return next(e.spec for e in discover() if e.name == name)


def test_the_preview_does_not_import_torch() -> None:
    code = "import sys; from rnntui.core.preview import preview; p = preview('hello'); "
    code += "print(p.params, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[1] == "False" and int(out[0]) > 0


def test_the_shipped_size_table_matches_every_built_in_preset() -> None:
    """If this fails after a change to a preset or a task, rewrite the table with:
    python -c "from tests.newcomer.test_newcomer_first_frame import rewrite; rewrite()" """
    for entry in discover():
        task = build_task(entry.spec.task)
        assert recall(entry.spec.task) == task_sizes(task), f"presets/{BUILTIN} is stale for {entry.name}"


def test_other_tasks_are_remembered_for_the_next_start(tmp_path) -> None:
    spec = TaskSpec("char_lm", {"corpus": "hello", "seq_len": 9})
    assert recall(spec) is None
    remember(spec, task_sizes(build_task(spec)))
    assert recall(spec) == task_sizes(build_task(spec))
    cache = next((tmp_path / "cache").glob("*.json"))
    cache.write_text("{not json", encoding="utf-8")
    assert recall(spec) is None  # a broken cache is an empty one
    cache.write_text(json.dumps({key(spec): [-1, 5, True]}), encoding="utf-8")
    assert recall(spec) is None  # and a bad entry is no entry


def rewrite() -> None:
    from rnntui.core.size_table import write_builtin_table

    write_builtin_table({key(e.spec.task): task_sizes(build_task(e.spec.task)) for e in discover()})


FIRST_FRAME = """
import sys
from rnntui.app.app import RnnApp


class FirstFrame(RnnApp):
    def on_mount(self) -> None:
        self.call_after_refresh(self.done)  # before the app's own after-first-frame work
        super().on_mount()

    def done(self) -> None:
        print("torch" in sys.modules)
        self.exit()


if __name__ == "__main__":
    FirstFrame().run(headless=True)
"""


def test_nothing_imports_torch_before_the_first_frame(tmp_path) -> None:
    """The predictor's thread imported torch as the app started: the import held the GIL and the
    first frame took 0.8 s instead of 0.35 (benchmarks/startup.py)."""
    script = tmp_path / "first_frame.py"
    script.write_text(FIRST_FRAME)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip().splitlines()[-1] == "False"
