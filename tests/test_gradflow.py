"""‖∂L/∂h_t‖ from the probe equals a direct autograd computation through independent cells."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from helpers import tiny
from rnntui.core.experiment import build
from rnntui.core.gradflow import gradient_through_time
from rnntui.core.presets import resolve
from rnntui.core.spec import set_value
from rnntui.core.tasks.data import Batch

CELL_CLASSES = {"lstm": nn.LSTMCell, "gru": nn.GRUCell, "rnn_tanh": nn.RNNCell, "rnn_relu": nn.RNNCell}


def independent_norms(model, batch: Batch) -> dict[str, list[float]]:
    """Re-implement the stack with nn.*Cell modules sharing the weights; autograd.grad wrt each h_t."""
    rnn = model.rnn
    cell_name = model.spec.cell
    dirs = 2 if rnn.bidirectional else 1
    x = model.embed(batch.x)
    steps: dict[str, list[torch.Tensor]] = {}
    inp = x
    finals = []
    for layer in range(rnn.num_layers):
        outs = []
        for d in range(dirs):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            kwargs = {"nonlinearity": "relu" if cell_name == "rnn_relu" else "tanh"} if "rnn" in cell_name else {}
            cell = CELL_CLASSES[cell_name](inp.shape[-1], rnn.hidden_size, **kwargs)
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                setattr(cell, name, getattr(rnn, name + sfx))
            h = x.new_zeros(x.shape[0], rnn.hidden_size)
            c = torch.zeros_like(h)
            seq = [None] * inp.shape[1]
            order = range(inp.shape[1] - 1, -1, -1) if d else range(inp.shape[1])
            for t in order:
                if cell_name == "lstm":
                    h, c = cell(inp[:, t], (h, c))
                else:
                    h = cell(inp[:, t], h)
                seq[t] = h
            label = f"layer {layer + 1}" + ((" →" if d == 0 else " ←") if dirs == 2 else "")
            steps[label] = seq
            outs.append(torch.stack(seq, 1))
            finals.append(seq[-1] if d == 0 else seq[0])
        inp = torch.cat(outs, -1)
    if model.pattern == "many_to_many":
        out = model.head(inp)
    else:
        feats = torch.cat(finals[-2:], -1) if dirs == 2 else finals[-1]
        out = model._squeeze(model.head(feats))
    loss = model.loss(out, batch)
    labels = list(steps)
    flat = [t for k in labels for t in steps[k]]
    grads = torch.autograd.grad(loss, flat)
    result, i = {}, 0
    for k in labels:
        n = len(steps[k])
        result[k] = [float(g.norm(dim=-1).mean()) for g in grads[i : i + n]]
        i += n
    return result


@pytest.mark.parametrize(
    ("task", "params", "pattern", "cell", "bi"),
    [
        ("char_lm", {"seq_len": 10}, "many_to_many", "lstm", False),
        ("char_lm", {"seq_len": 10}, "many_to_many", "gru", False),
        ("adding", {"seq_len": 12}, "many_to_one", "rnn_tanh", True),
        ("adding", {"seq_len": 12}, "many_to_one", "lstm", True),
        ("pos_tagging", {"sentences": 300}, "many_to_many", "rnn_relu", True),
    ],
)
def test_probe_equals_direct_autograd(task, params, pattern, cell, bi):
    spec = tiny(task, params, pattern=pattern, cell=cell, bidirectional=bi, num_layers=2)
    task_obj, model = build(spec)
    model = model.double().eval()
    batch = task_obj.train_batch(0, 4, 0)
    if batch.x.is_floating_point():
        batch = Batch(x=batch.x.double(), y=batch.y.double(), lengths=None)
    else:
        batch = Batch(x=batch.x, y=batch.y, lengths=None)
    probe = gradient_through_time(model, batch)
    direct = independent_norms(model, batch)
    assert set(probe) == set(direct)
    for k in probe:
        assert len(probe[k]) == batch.x.shape[1]
        assert torch.allclose(torch.tensor(probe[k]), torch.tensor(direct[k]), rtol=1e-8, atol=1e-12), k
    assert all(p.grad is None for p in model.parameters()), "the probe must not touch parameter grads"


def test_vanishing_gradient_shows_for_plain_rnn_not_lstm():
    """Adding problem, T = 100, at initialisation: how much of the loss's gradient reaches step 50."""
    ratios = {}
    for cell in ("rnn_tanh", "lstm"):
        spec = set_value(set_value(resolve("long-memory"), "model", "cell", cell), "train", "device", "cpu")
        task, model = build(spec)
        norms = gradient_through_time(model, task.val_batches(16)[0])["layer 1"]
        ratios[cell] = norms[50] / norms[-1]
    assert ratios["rnn_tanh"] < 1e-8
    assert ratios["lstm"] > 1e3 * ratios["rnn_tanh"]
