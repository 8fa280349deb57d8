"""Differential: for every shipped preset (and a bidirectional, a stacked, a GRU and a ReLU variant),
the exported Keras program (torch backend) and the ONNX Runtime program print what `rnntui predict
--json` prints: probabilities within 1e-4, the same top-1, the same tags, classes and decoded sequences,
and where the network attends, the same attention weights (within 1e-4).

Each run is trained two steps (so its weights are not the initial ones), exported once, and cached
for the module; the exported files themselves are imported and run in this process.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from export_helpers import FRAMEWORKS, close, load_program, need, quiet_main, run_program, train
from rnntui.core import experiment
from rnntui.core.export import export
from rnntui.core.predictor import Predictor

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # inside keras
PRESETS = Path(__file__).resolve().parent.parent / "presets"

PREFIXES = {
    "attention": ["attention is all you need", "abc", "Reverse Me"],
    "cat-sat": ["the cat near the trees with the dogs", "the cats", "the boy , which the kings saw ,"],
    "char-lm": ["The cat", "a dog saw the ", "The old man found"],
    "deep-stack": ["The cat", "my sister liked"],
    "doubling": ["2 4 8", "1 2 3", "3 9 27", "5, 10, 15"],
    "exploding": ["0 0.5 0.9 1 0.8", "0.1 -0.3", "1 1 1 1 1 1"],
    "hello": ["HELL", "HE", "hell", "WORLD H"],
    "long-memory": ["0.2 0.7* 0.1 0.4* 0.9", "0.5* 0.5*", "1 2 3"],
    "pos-tagging": ["the dog saw a duck", "my old cat likes the park", "a girl"],
    "river-bank": ["we walked along the bank of the river", "she looked at the bank that lends money"],
    "sentiment": ["the movie was not good", "the food was great , not bad", "my day was"],
    "sine": ["0 0.5 0.9 1 0.8", "0.1 -0.3", "-1 -0.5 0 0.5 1"],
    "spell-number": ["342", "0", " 999 ", "7"],
    "translate": ["the black cat sees a red apple", "a dog has the book", "the woman"],
}
VARIANTS = {  # name: (preset, overrides); a smaller held-out set only makes the final evaluation quicker
    "sentiment-bi-gru": ("sentiment", ["model.cell=gru", "model.bidirectional=true"]),
    "translate-lstm-2": (
        "translate",
        ["model.cell=lstm", "model.num_layers=2", "model.dropout=0.1", "task.held_out=0.01"],
    ),
    "spell-number-gru-stacked": ("spell-number", ["model.cell=gru", "model.num_layers=2"]),
    "adding-relu-bi-2": ("long-memory", ["model.cell=rnn_relu", "model.bidirectional=true", "model.num_layers=2"]),
    "hello-tanh-stacked": ("hello", ["model.cell=rnn_tanh", "model.num_layers=2", "model.dropout=0.2"]),
    "sine-gru-bi": ("sine", ["model.cell=gru", "model.bidirectional=true"]),
    "attention-additive-lstm": ("attention", ["model.attention=additive", "model.cell=lstm", "model.num_layers=2"]),
}
RUNS = {**{name: (name, []) for name in PREFIXES}, **VARIANTS}


def test_every_shipped_preset_is_covered():
    assert set(PREFIXES) == {p.stem for p in PRESETS.glob("*.toml")}


class Exported:
    """One trained run: its predictor, and its exported programs (each loaded once)."""

    def __init__(self, run: Path) -> None:
        self.run = run
        self.spec, self.task, self.model = experiment.from_checkpoint(str(run))
        self.predictor = Predictor(self.model, self.task, top_k=3)
        self.programs: dict[str, tuple[ModuleType, Any]] = {}

    def program(self, fmt: str) -> tuple[ModuleType, Any]:
        if fmt not in self.programs:
            # The export reads the checkpoint as `predict` does (from_checkpoint); rebuilding a task
            # takes up to 3 s (translate), so here it gets the objects this run already loaded.
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(experiment, "from_checkpoint", lambda path: (self.spec, self.task, self.model))
                script = export(str(self.run), fmt)[0]
            module = load_program(script)
            self.programs[fmt] = (module, module.load(str(script.parent)))
        return self.programs[fmt]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Exported]:
    return {}


def exported(runs: dict[str, Exported], name: str, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    if name not in runs:
        preset, overrides = RUNS[name]
        runs[name] = Exported(train(preset, tmp_path_factory.mktemp(name), *overrides))
    return runs[name]


def same_prediction(got: dict[str, Any], want: dict[str, Any], where: str) -> None:
    """Equal within 1e-4, the same top-1; lower ranks may swap only where their probabilities tie."""
    assert set(got) == set(want) and got["tokens"] == want["tokens"], where
    if "next" in want:
        assert got["next"][0]["token"] == want["next"][0]["token"], where
        close([r["p"] for r in got["next"]], [r["p"] for r in want["next"]], 1e-4, where)
        p = {r["token"]: r["p"] for r in got["next"]}
        assert all(abs(p[r["token"]] - r["p"]) <= 1e-4 for r in want["next"] if r["token"] in p), where
        got, want = {**got, "next": None}, {**want, "next": None}
    assert ("attention" in got) == ("attention" in want), where
    close(got, want, 1e-4, where)


@pytest.mark.parametrize("fmt", ["keras", "onnx"])
@pytest.mark.parametrize("name", list(RUNS))
def test_exported_programs_print_what_predict_prints(name, fmt, runs, tmp_path_factory):
    need(*FRAMEWORKS[fmt])
    run = exported(runs, name, tmp_path_factory)
    module, network = run.program(fmt)
    prefixes = PREFIXES[RUNS[name][0]]
    if fmt == "keras" and name in PREFIXES:  # once per preset: the command, and the predictor standing in for it
        rc, out = quiet_main(["predict", str(run.run), prefixes[0], "--json", "--top", "3"])
        assert rc == 0 and json.loads(out) == json.loads(json.dumps(run.predictor.feed(prefixes[0]).to_json()))
    for prefix in prefixes:
        want = json.loads(json.dumps(run.predictor.feed(prefix).to_json()))
        same_prediction(module.predict(lambda net=network: net, prefix, module.DATA, 3), want, f"{name} {prefix!r}")
    rc, out = run_program(module, prefixes[0], "--json", "--top", "3")  # and once through its command line
    assert rc == 0
    same_prediction(json.loads(out), json.loads(json.dumps(run.predictor.feed(prefixes[0]).to_json())), name)
