"""The Keras runner's conversions, one by one, against the PyTorch modules they come from.

Weights are random (biases included, b_ih != b_hh), so a wrong transpose, gate order or bias rule
shows. The runner module is the one `rnntui export` copies; its DATA is filled the way the exporter
fills it.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from export_helpers import PATTERNS, close, need, program_data, randomised, spec_of
from rnntui.core.attention import Attention
from rnntui.core.experiment import build_model, build_task
from rnntui.core.export_program import program
from rnntui.core.model import make_rnn
from rnntui.core.predictor import Predictor

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # inside keras
keras = need("keras")
from rnntui.exported import keras_predict as kp  # noqa: E402  (it imports keras: after the line above)
from rnntui.exported.shared import predict  # noqa: E402


def keras_layer(cell: str, bidirectional: bool, rnn: torch.nn.RNNBase, sequences: bool = True):
    w = {f"rnn.{k}": v.detach().numpy() for k, v in rnn.state_dict().items()}
    layer = kp.recurrent({"cell": cell, "hidden": rnn.hidden_size}, sequences, False, bidirectional)
    layer(np.zeros((1, 2, rnn.input_size), "float32"))  # built: now it has weights to replace
    names = ["rnn.{}_l0"] + (["rnn.{}_l0_reverse"] if bidirectional else [])
    layer.set_weights([m for n in names for m in kp.cell_weights(w, cell, n)])
    return layer


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
def test_one_layer_equals_pytorch(cell, bidirectional):
    """Kernels transposed; LSTM i,f,g,o and one bias b_ih + b_hh; GRU r,z,n -> z,r,h with a (2, 3H) bias
    and reset_after; SimpleRNN(activation="relu") for rnn_relu; Bidirectional(merge_mode="concat")."""
    rnn = randomised(make_rnn(cell, 3, 5, 1, bidirectional, 0.0))
    x = torch.randn(2, 7, 3, generator=torch.Generator().manual_seed(1))
    layer = keras_layer(cell, bidirectional, rnn)
    got = keras.ops.convert_to_numpy(layer(x.numpy()))
    assert np.abs(got - rnn(x)[0].detach().numpy()).max() < 1e-5
    last = keras.ops.convert_to_numpy(keras_layer(cell, bidirectional, rnn, sequences=False)(x.numpy()))
    h_n = rnn(x)[1][0] if cell == "lstm" else rnn(x)[1]
    final = torch.cat([h_n[-2], h_n[-1]], -1) if bidirectional else h_n[-1]  # last ->, first <-
    assert np.abs(last - final.detach().numpy()).max() < 1e-5


def test_the_layouts_that_differ():
    lstm, gru = randomised(make_rnn("lstm", 3, 4, 1, False, 0.0)), randomised(make_rnn("gru", 3, 4, 1, False, 0.0))
    s = {f"rnn.{k}": v.detach().numpy() for k, v in lstm.state_dict().items()}
    kernel, recurrent, bias = kp.cell_weights(s, "lstm", "rnn.{}_l0")
    assert (kernel == s["rnn.weight_ih_l0"].T).all() and (recurrent == s["rnn.weight_hh_l0"].T).all()
    assert np.allclose(bias, s["rnn.bias_ih_l0"] + s["rnn.bias_hh_l0"])  # one Keras bias: PyTorch's two, summed
    g = {f"rnn.{k}": v.detach().numpy() for k, v in gru.state_dict().items()}
    kernel, _, bias = kp.cell_weights(g, "gru", "rnn.{}_l0")
    r, z, n = np.split(g["rnn.weight_ih_l0"], 3)
    assert (kernel[:, :4] == z.T).all() and (kernel[:, 4:8] == r.T).all() and (kernel[:, 8:] == n.T).all()
    assert bias.shape == (2, 12) and (bias[1, 8:] == g["rnn.bias_hh_l0"][8:]).all()  # b_hn apart: reset_after


@pytest.mark.parametrize("kind", ["dot", "additive"])
def test_keras_attention_layers_compute_rnntuis_attention(kind):
    """Dot: keras.layers.Attention(score_mode="dot", use_scale=False) over W_k h. Additive: AdditiveAttention
    over W_q s and W_k h + b, its `scale` vector = v. The weights and the attended state, against core/attention.py."""
    att = randomised(Attention(kind, 8, 5), 4)
    net = object.__new__(kp.KerasNetwork)  # only what attend() reads
    net.a, net.pending = {"hidden": 5, "attention": kind}, []
    net.w = {f"attention.{k}": v.detach().numpy() for k, v in att.state_dict().items()}
    s, memory = keras.Input((5,)), keras.Input((None, 8))
    model = keras.Model([s, memory], list(net.attend(s, memory)))
    for layer, values in net.pending:
        layer.set_weights(values)
    used = {type(layer).__name__ for layer in model.layers}
    assert ("AdditiveAttention" if kind == "additive" else "Attention") in used
    g = torch.Generator().manual_seed(6)
    dec, mem = torch.randn(3, 1, 5, generator=g), torch.randn(3, 7, 8, generator=g)
    want, weights = att(dec, mem, None)
    got, looked = model.predict_on_batch([dec[:, 0].numpy(), mem.numpy()])
    assert np.abs(got - want[:, 0].detach().numpy()).max() < 1e-5
    assert np.abs(looked - weights[:, 0].detach().numpy()).max() < 1e-6


def network(spec, monkeypatch, seed: int = 3):
    """The Keras runner for a randomly initialised SequenceModel, and the predictor for the same weights."""
    task = build_task(spec.task)
    model = randomised(build_model(spec, task), seed)
    data = program_data(program("keras", "run", spec, task, {"network": "n.npz"}, {"network": b""}))
    monkeypatch.setattr(kp, "DATA", data)  # the network is built here, not loaded: no file to check
    net = kp.KerasNetwork({k: v.detach().numpy() for k, v in model.state_dict().items()})
    return net, Predictor(model, task, top_k=3)


@pytest.mark.parametrize(("spec", "prefix"), [p[1:] for p in PATTERNS], ids=[p[0] for p in PATTERNS])
def test_every_pattern_predicts_what_the_predictor_does(spec, prefix, monkeypatch):
    """Stacked layers with return_sequences, dropout off at inference, per-step heads, the one-to-many
    generator and the encoder-decoder (with the bidirectional bridge, h and c, and attention) as functional
    models; attention's weights in --json."""
    net, predictor = network(spec, monkeypatch)
    got = predict(lambda: net, prefix, kp.DATA, 3)
    close(got, predictor.feed(prefix).to_json(), tol=1e-5)
    assert predict(lambda: net, prefix, kp.DATA, 3) == got  # dropout is off: the same every time


def test_float_inputs_are_normalised_as_in_training(tmp_path, monkeypatch):
    series = tmp_path / "series.csv"
    series.write_text("v\n" + "\n".join(f"{100 + 20 * np.sin(i / 3):.3f}" for i in range(200)) + "\n")
    spec = spec_of("sine", {"seq_len": 10, "path": str(series), "column": "v"}, pattern="many_to_one")
    net, predictor = network(spec, monkeypatch)
    assert kp.DATA["input"]["norm"][0] > 90  # the training statistics, not (0, 1)
    got = predict(lambda: net, "95 110 120.5 101", kp.DATA, 3)
    close(got, predictor.feed("95 110 120.5 101").to_json(), tol=1e-5)
    assert got["forecast"] > 50  # de-normalised back to the series' scale
