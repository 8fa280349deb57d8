"""Findings 6 and 8: the vocabulary lives in the checkpoint; a checkpoint is checked before allocating."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import torch

from hostile_util import cli, one_error, rnntui, trained
from rnntui.core.model import SequenceModel
from rnntui.core.runs import RunDir
from rnntui.core.spec import CELLS, PATTERNS, ModelSpec
from rnntui.core.spec_types import ATTENTIONS
from rnntui.core.tasks.base import Task
from rnntui.core.tasks.data import Vocab
from rnntui.core.tasks.kinds import InputKind, OutputKind


class Stub(Task):
    """Just what SequenceModel reads from a task: token or vector input, class or value output."""

    def __init__(self, tokens_in: bool, classes_out: bool) -> None:
        self.input_kind = InputKind.TOKENS if tokens_in else InputKind.VECTORS  # type: ignore[misc]
        self.output_kind = OutputKind.CLASSES if classes_out else OutputKind.VALUES  # type: ignore[misc]
        self.in_vocab = Vocab([f"w{i}" for i in range(11)], specials=(Vocab.PAD, Vocab.UNK))
        self.out_vocab = Vocab([f"o{i}" for i in range(7)], specials=(Vocab.PAD, Vocab.UNK, Vocab.BOS, Vocab.EOS))
        self.input_dim, self.output_dim = 5, 1


def test_the_torch_free_parameter_count_equals_the_model_for_every_architecture() -> None:
    from rnntui.core.checkpoint import io_sizes
    from rnntui.core.sizes import param_count, param_shapes

    combos = itertools.product(CELLS, PATTERNS, (False, True), (1, 2, 3, 4), (True, False), (True, False), ATTENTIONS)
    for cell, pattern, bi, layers, tokens_in, classes_out, attention in combos:
        if pattern in ("one_to_many", "encoder_decoder") and not classes_out:
            continue  # generators write tokens
        if attention != "none" and pattern != "encoder_decoder":
            continue  # refused by validate()
        spec = ModelSpec(
            cell=cell,
            pattern=pattern,
            bidirectional=bi,
            num_layers=layers,
            hidden_size=6,
            embedding_dim=4,
            attention=attention,
        )
        task = Stub(tokens_in, classes_out)
        model = SequenceModel(spec, task)
        n_in, n_out, tokens = io_sizes(task)
        shapes = param_shapes(spec, n_in, n_out, tokens)
        assert list(shapes.items()) == [(k, tuple(p.shape)) for k, p in model.named_parameters()], spec
        assert param_count(spec, n_in, n_out, tokens) == model.param_count(), spec


def tamper(run: RunDir, **changes: object) -> None:
    """Rewrite the run's checkpoint with some entries changed, as a hostile author would."""
    data = torch.load(run.checkpoint_path, weights_only=True)
    data.update(changes)
    torch.save(data, run.checkpoint_path)


def test_a_checkpoint_declaring_hidden_12000_is_refused_without_allocating_it(tmp_path: Path) -> None:
    run = trained(tmp_path)
    data = torch.load(run.checkpoint_path, weights_only=True)
    tamper(run, spec=data["spec"].replace("hidden_size = 8", "hidden_size = 12000"))
    (run.path / "spec.toml").unlink()
    # 12000 hidden LSTM units are 2.3 GB of weights: the process may use 1.5 GB in all.
    out = rnntui("predict", str(run.path), "HEL", cap=3 << 29)
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    assert "hidden_size must be 1–2,048" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_a_network_over_the_parameter_cap_is_refused_before_it_is_built(tmp_path: Path, capsys) -> None:
    args = ("train", "hello", "--steps", "0", "--runs-dir", str(tmp_path))
    sets = ("--set", "model.hidden_size=2048", "--set", "model.num_layers=2", "--set", "model.embedding_dim=1024")
    line = one_error(*cli(capsys, *args, *sets)[::2])
    assert "parameters; the limit is 50,000,000" in line
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def test_tensors_that_do_not_match_the_spec_are_refused_by_name(tmp_path: Path, capsys) -> None:
    run = trained(tmp_path)
    data = torch.load(run.checkpoint_path, weights_only=True)
    model = dict(data["model"])
    model["rnn.weight_hh_l0"] = torch.zeros(32, 9)
    tamper(run, model=model)
    assert "rnn.weight_hh_l0 is (32, 9), expected (32, 8)" in one_error(
        *cli(capsys, "predict", str(run.path), "H")[::2]
    )
    model.pop("rnn.weight_hh_l0")
    model["evil"] = torch.zeros(1)
    tamper(run, model=model)
    assert "does not match its spec" in one_error(*cli(capsys, "predict", str(run.path), "H")[::2])


@pytest.mark.parametrize("damage", ["optimizer", "count", "rng"])
def test_a_damaged_optimizer_or_random_state_is_refused_before_training(tmp_path: Path, capsys, damage) -> None:
    run = trained(tmp_path)
    data = torch.load(run.checkpoint_path, weights_only=True)
    if damage in ("optimizer", "count"):
        opt = data["optimizer"]
        if damage == "optimizer":
            opt["state"][0]["exp_avg"] = torch.zeros(3, 3)  # not the shape of parameter 0
        else:
            opt["state"][0]["step"] = torch.tensor(-1.0)  # 0 at the next step: Adam divided by zero
        tamper(run, optimizer=opt)
    else:
        tamper(run, rng=torch.zeros(7, dtype=torch.uint8))
    line = one_error(*cli(capsys, "resume", str(run.path), "--steps", "6")[::2])
    assert f"damaged {'random' if damage == 'rng' else 'optimizer'} state" in line


def test_a_checkpoint_over_the_size_cap_is_refused_without_reading_it(tmp_path: Path, capsys) -> None:
    run = trained(tmp_path)
    with open(run.checkpoint_path, "r+b") as fh:
        fh.truncate(1 << 30)  # 1 GiB, sparse: nothing is written (the cap is 640 MB)
    assert "a checkpoint of the largest network" in one_error(*cli(capsys, "predict", str(run.path), "H")[::2])


def test_every_task_saves_its_vocabulary_and_a_different_one_is_refused(monkeypatch) -> None:
    from rnntui.core.experiment import build_task
    from rnntui.core.spec import SpecError, TaskSpec
    from rnntui.core.tasks import sentiment

    small = {"pos_tagging": {"sentences": 300}, "translate": {"train_pairs": 400}, "agreement": {"sentences": 300}}
    for name in ("char_lm", "number_sequences", "sentiment", "pos_tagging", "river_bank", "translate", "spell_number"):
        task = build_task(TaskSpec(name, small.get(name, {})))
        state = task.state()
        if name == "char_lm":
            assert state["chars"] == task.in_vocab.itos[2:] and len(state["source"]["sha256"]) == 64
        else:
            assert state["out_vocab"] == task.out_vocab.itos, name
            if task.reads_tokens:
                assert state["in_vocab"] == task.in_vocab.itos, name
    saved = build_task(TaskSpec("sentiment")).state()
    monkeypatch.setattr(sentiment, "POSITIVE", (*sentiment.POSITIVE, "superb"))  # another rnntui's grammar
    with pytest.raises(SpecError, match="vocabulary .* differs"):
        build_task(TaskSpec("sentiment", {"held_out": 0.2}), state=saved)


def own_text(path: Path, alphabet: str) -> Path:
    words = [alphabet[i % len(alphabet)] * (1 + i % 5) for i in range(400)]
    path.write_text(" ".join(words) + "\n")
    return path


def test_resume_on_a_changed_data_file_is_refused_and_predict_keeps_the_saved_vocabulary(tmp_path, capsys) -> None:
    data = own_text(tmp_path / "mine.txt", "abcdefgh")
    run = trained(tmp_path / "runs", params={"path": str(data), "seq_len": 8})
    rc, before, err = cli(capsys, "predict", str(run.path), "abc", "--json")
    assert rc == 0, err
    own_text(data, "ABCDEFGH")  # the same number of characters, every one different
    line = one_error(*cli(capsys, "resume", str(run.path), "--steps", "6")[::2])
    assert "has changed since this run's checkpoint" in line
    assert cli(capsys, "predict", str(run.path), "abc", "--json")[1] == before  # the checkpoint's mapping
    data.unlink()
    assert cli(capsys, "predict", str(run.path), "abc", "--json")[1] == before


def test_a_resumed_csv_series_trains_on_the_csv_exactly_as_an_uninterrupted_run(tmp_path) -> None:
    import math

    from rnntui.core.trainer import Trainer

    csv = tmp_path / "series.csv"
    csv.write_text("v\n" + "\n".join(f"{math.sin(i / 7) * 3 + 10:.5f}" for i in range(600)))
    params = {"path": str(csv), "column": "v", "seq_len": 12}
    whole = trained(tmp_path / "a", "sine", params, steps=6, pattern="many_to_one")
    part = trained(tmp_path / "b", "sine", params, steps=3, pattern="many_to_one")
    trainer = Trainer.resume(part)
    trainer.run(steps=6)
    trainer.close()

    def losses(run: RunDir) -> list[float]:
        return [r["loss"] for r in run.read_metrics()[0] if r["event"] == "step"]

    assert losses(part) == pytest.approx(losses(whole), rel=1e-6)
