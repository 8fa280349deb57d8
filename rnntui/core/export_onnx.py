"""The trained network as ONNX graphs with dynamic batch and sequence axes, for `onnx_predict.py`.

Which exporter: torch 2.13 has two. Its default, the torch.export-based one (`dynamo=True`, needs
onnxscript), traced the 2-layer models here with their example sizes baked in: a ReLU `nn.RNN` graph
refused any other sequence length, LSTM/GRU graphs declared the example's length as their output
shape, a batch-1 example fixed the batch, and it took 4.6 s where the other takes 0.6 s. The
TorchScript exporter (`dynamo=False`, deprecated but present in 2.13, needs the `onnx` package)
maps `nn.LSTM`/`nn.GRU`/`nn.RNN` onto ONNX's own LSTM/GRU/RNN operators (GRU with
`linear_before_reset=1`, PyTorch's formula) and keeps the named axes dynamic. So we use it; the
tests run every exported graph at other lengths and batch sizes than the example's.

A many-to-many or many-to-one network is one graph, `x -> y`. A one-to-many generator and an
encoder-decoder are two: the encoder (`x -> h[, c]`, the decoder's first state) and one decoder step
(`token, h[, c] -> logits, h_out[, c_out]`); the greedy loop is in the runner. With attention the
encoder also returns its outputs at every step (`memory`, (B, S, D*H)), and the step reads them and a
mask of the real source steps (`mask`, (B, S) bool) and returns where it looked (`weights`, (B, S)).
"""

from __future__ import annotations

import importlib.util
import io
import warnings

import torch
from torch import nn

from rnntui.core.decoding import Memory
from rnntui.core.errors import RunError
from rnntui.core.model import SequenceModel

OPSET = 17


class Outputs(nn.Module):
    """(B, T) ids or (B, T, F) values -> (B, steps, out): what the predictor reports per step."""

    def __init__(self, model: SequenceModel) -> None:
        super().__init__()
        self.m = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = self.m
        seq, h_n = m.rnn(m.embed(x))
        if m.pattern == "many_to_many" or m.num_directions == 1:
            return m.head(seq)  # every step (one direction, many-to-one: the state so far)
        return m.head(m.final_features(h_n)).unsqueeze(1)  # bidirectional many-to-one: the whole input


def attends(model: SequenceModel) -> bool:
    return model.pattern == "encoder_decoder" and model.spec.attention != "none"


class Encoder(nn.Module):
    """The decoder's first state, (L, B, H) each: from the one input, or from the encoded sentence; with
    attention also the encoder's outputs (B, S, D*H), which every decoder step reads."""

    def __init__(self, model: SequenceModel) -> None:
        super().__init__()
        self.m = model

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        m = self.m
        if m.pattern == "one_to_many":
            state, seq = m.initial_from_one(x), None
        else:
            seq, h_n = m.rnn(m.embed(x))
            state = m.bridge_state(h_n)
        states = state if isinstance(state, tuple) else (state,)
        return (*states, seq) if attends(m) else states


class Step(nn.Module):
    """One decoder step: the previous token (B, 1), the state h[, c] (L, B, H) and, with attention, the
    encoder's outputs (B, S, E) and its mask (B, S) -> logits (B, V), the next state[, the weights (B, S)]."""

    def __init__(self, model: SequenceModel) -> None:
        super().__init__()
        self.m = model
        self.rnn = model.rnn if model.pattern == "one_to_many" else model.decoder
        self.k = 2 if model.spec.cell == "lstm" else 1  # state tensors

    def forward(self, token: torch.Tensor, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        state, rest = inputs[: self.k], inputs[self.k :]
        seq, state = self.rnn(self.m.dec_embed(token), state if self.k == 2 else state[0])
        logits, looked = self.m.read_out(seq, Memory(rest[0], rest[1]) if rest else None)  # as the predictor
        states = state if isinstance(state, tuple) else (state,)
        return (logits[:, -1], *states, *([] if looked is None else [looked[:, -1]]))


Axes = dict[str, dict[int, str]]  # input or output name -> {axis: its symbolic name}


def _export(module: nn.Module, args: tuple[torch.Tensor, ...], names: list[str], outs: list[str], axes: Axes) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        # The exporter's own deprecation notice and its tracer's notes on shape arithmetic: about
        # torch.onnx, not about this run. The tests check the graphs it writes.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module.eval(),
            args,
            buf,
            dynamo=False,
            input_names=names,
            output_names=outs,
            dynamic_axes=axes,
            opset_version=OPSET,
        )
    return buf.getvalue()


def onnx_graphs(model: SequenceModel, tokens_in: bool, input_dim: int) -> dict[str, bytes]:
    """role -> serialized ONNX model: {"network"} or {"encoder", "decoder"}."""
    if importlib.util.find_spec("onnx") is None:
        raise RunError("the ONNX export needs the onnx package: pip install 'rnntui[export]'")
    model = model.eval()
    b, t = 2, 3  # example sizes other than 1, so no axis can be mistaken for a constant
    if model.pattern == "one_to_many":
        x = torch.zeros(b, input_dim)
    elif tokens_in:
        x = torch.zeros(b, t, dtype=torch.long)
    else:
        x = torch.zeros(b, t, input_dim)
    steps = {0: "batch"} if model.pattern == "one_to_many" else {0: "batch", 1: "steps"}
    try:
        with torch.no_grad():
            if model.pattern in ("many_to_many", "many_to_one"):
                per_step = model.pattern == "many_to_many" or model.num_directions == 1
                axes = {"x": steps, "y": {0: "batch", 1: "steps"} if per_step else {0: "batch"}}
                return {"network": _export(Outputs(model), (x,), ["x"], ["y"], axes)}
            return _two_graphs(model, x, steps)
    except Exception as exc:  # torch.onnx raises its own types; the user gets one line, not a traceback
        first = (str(exc).strip() or type(exc).__name__).splitlines()[0]
        raise RunError(f"the ONNX export failed: {first[:200]}") from None


def _two_graphs(model: SequenceModel, x: torch.Tensor, steps: dict[int, str]) -> dict[str, bytes]:
    """The encoder and one decoder step, every batch and sequence axis named (dynamic)."""
    lstm, b = model.spec.cell == "lstm", x.shape[0]
    states = ["h", "c"] if lstm else ["h"]
    memory = ["memory"] if attends(model) else []  # (B, S, D*H): S is the source's length
    source = {0: "batch", 1: "source"}
    axes = {"x": steps, **{s: {1: "batch"} for s in states}, **{n: steps for n in memory}}
    encoder = _export(Encoder(model), (x,), ["x"], [*states, *memory], axes)
    token = torch.zeros(b, 1, dtype=torch.long)
    h0 = torch.zeros(model.spec.num_layers, b, model.spec.hidden_size)
    step_args = [token, h0, torch.zeros_like(h0)] if lstm else [token, h0]
    reads, looked = ([*memory, "mask"], ["weights"]) if memory else ([], [])
    if memory:  # an example source of 4 steps, the last one padding: the mask is traced as an input
        d_h = model.num_directions * model.spec.hidden_size
        step_args += [torch.zeros(b, 4, d_h), torch.arange(4).expand(b, 4) < 3]
    new_states = [f"{s}_out" for s in states]
    outs = ["logits", *new_states, *looked]
    axes = {"token": {0: "batch"}, "logits": {0: "batch"}, **{n: {1: "batch"} for n in [*states, *new_states]}}
    axes |= {n: source for n in [*reads, *looked]}
    decoder = _export(Step(model), tuple(step_args), ["token", *states, *reads], outs, axes)
    return {"encoder": encoder, "decoder": decoder}
