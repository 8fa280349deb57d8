"""Attention in the encoder-decoder (issue 16, part 1): what it computes, on both paths."""

from __future__ import annotations

import json

import pytest
import torch

from helpers import tiny
from rnntui.core.decoding import greedy
from rnntui.core.experiment import build
from rnntui.core.model import fused_runner
from rnntui.core.predictor import Predictor
from rnntui.core.spec import SpecError, validate
from rnntui.core.trace import TraceRunner

CASES = [(att, cell, bi) for att in ("dot", "additive") for cell in ("lstm", "gru", "rnn_tanh") for bi in (False, True)]


def network(attention: str, cell: str = "gru", bi: bool = True, task: str = "reverse"):
    params = {"min_len": 3, "max_len": 9} if task == "reverse" else {"train_pairs": 300}
    spec = tiny(task, params, pattern="encoder_decoder", cell=cell, bidirectional=bi, attention=attention)
    torch.manual_seed(0)
    return build(spec)


def teacher_forced(model, batch, runner):
    h0, memory = model.encode(batch.x, batch.lengths, runner)
    seq, _ = runner(model.decoder, model.dec_embed(batch.y_in), h0, None, "decoder")
    return model.read_out(seq, memory)


@pytest.mark.parametrize(("attention", "cell", "bi"), CASES)
def test_the_trace_path_attends_exactly_as_the_fused_model(attention, cell, bi) -> None:
    task, model = network(attention, cell, bi)
    batch = task.val_batches(6)[0]  # strings of different lengths: padding is masked on both paths
    with torch.no_grad():
        fused_logits, fused = teacher_forced(model.eval(), batch, fused_runner)
        traced_logits, traced = teacher_forced(model, batch, TraceRunner())
    assert (fused - traced).abs().max() <= 1e-5 and (fused_logits - traced_logits).abs().max() <= 1e-5
    steps = torch.arange(batch.x.shape[1])
    padding = steps.unsqueeze(0) >= batch.lengths.unsqueeze(1)  # (B, S)
    assert fused.masked_select(padding.unsqueeze(1).expand_as(fused)).abs().max() == 0  # never looks at padding
    assert torch.allclose(fused.sum(-1), torch.ones_like(fused.sum(-1)))


def test_predict_shows_the_weights_greedy_decoding_used() -> None:
    task, model = network("dot")
    pred = Predictor(model, task).feed("abcdefg")
    x = torch.tensor([[t.id for t in pred.tokens]])
    with torch.no_grad():
        state, memory = model.encode(x, None, fused_runner)
        decoded = greedy(model, model.decoder, state, memory, task.max_output, fused_runner, 1)
    want = torch.stack([w[0] for w in decoded.weights])  # (U, S)
    got = torch.tensor(pred.output.attention)
    assert got.shape == want.shape == (decoded.ids.shape[1], 7)
    assert (got - want).abs().max() <= 1e-5
    assert json.loads(json.dumps(pred.to_json()))["attention"] == [list(r) for r in pred.output.attention]


def test_without_attention_nothing_is_said_about_it() -> None:
    task, model = network("none", task="translate")
    assert "attention" not in Predictor(model, task).feed("the cat sees a dog").to_json()


@pytest.mark.parametrize("pattern", ["many_to_many", "many_to_one"])
def test_attention_is_refused_outside_the_encoder_decoder(pattern) -> None:
    with pytest.raises(SpecError, match="needs the encoder-decoder pattern"):
        validate(tiny("char_lm" if pattern == "many_to_many" else "sentiment", {}, pattern=pattern, attention="dot"))
    with pytest.raises(SpecError, match="model.attention 'soft' is unknown"):
        validate(tiny("translate", {}, pattern="encoder_decoder", attention="soft"))


def test_reversing_is_a_reversal() -> None:
    task, _ = network("dot")
    b = task.train_batch(0, 5, seed=1)
    for i in range(5):
        n = int(b.lengths[i])
        letters = [task.in_vocab.itos[j] for j in b.x[i, :n].tolist()]
        written = [task.out_vocab.itos[j] for j in b.y[i, :n].tolist()]
        assert written == letters[::-1] and int(b.y[i, n]) == task.out_vocab.eos
        assert b.y_in[i, 0] == task.out_vocab.bos and b.y_in[i, 1 : n + 1].tolist() == b.y[i, :n].tolist()
