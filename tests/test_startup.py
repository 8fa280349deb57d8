"""Starting: the app asks for its first network from the preset file its first frame shows, and
imports no torch of its own until the network is ready (two imports of torch at once, on two cores,
made the network 1.4 s later); weights cross the pipe without needing torch to be read."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import torch

from rnntui.core import trainer_protocol as p

ROOT = Path(__file__).resolve().parent.parent


def run(code: str, timeout: float = 300) -> str:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_the_app_imports_torch_only_after_its_network_is_ready(tmp_path) -> None:
    out = run(
        f"""
        import json, sys
        from rnntui.app.app import RnnApp
        from rnntui.app.state import Phase

        class Watched(RnnApp):
            def on_mount(self):
                self.call_after_refresh(self.first_frame)
                self.watch(self, "training", self.changed, init=False)
                self.seen = {{}}

            def first_frame(self):
                shown = "char-lm" in str(self.query_one("#topbar").render())
                self.seen["frame"] = (shown, "torch" in sys.modules)

            def changed(self, s):
                if s.phase is Phase.READY and "ready" not in self.seen:
                    self.seen["ready"] = sorted(m for m in ("torch", "rnntui.core.trainer") if m in sys.modules)
                    self.exit()

        app = Watched(preset="char-lm", runs_dir={str(tmp_path)!r})
        app.run(headless=True)
        print(json.dumps(app.seen))
        """
    )
    seen = json.loads(out.splitlines()[-1])
    assert seen["frame"] == [True, False]  # the preset on screen, without torch
    assert seen["ready"] == []  # neither torch nor the trainer imported in the app's process


def test_weights_cross_the_pipe_without_torch_and_unpickle_where_read() -> None:
    state = {"w": torch.randn(3, 2), "b": torch.zeros(2)}
    blob = pickle.dumps(p.WeightsCopy(p.Weights(state)))
    out = run(
        f"""
        import pickle, sys
        reply = pickle.loads({blob!r})
        print("torch" in sys.modules)
        print(sorted(reply.weights), reply.weights["w"].shape == (3, 2), "torch" in sys.modules)
        """
    )
    assert out.split() == ["False", "['b',", "'w']", "True", "True"]
    copy = pickle.loads(blob).weights
    assert all(torch.equal(copy[k], v) for k, v in state.items()) and len(copy) == 2
