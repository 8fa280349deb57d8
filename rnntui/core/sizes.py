"""The network's parameters by arithmetic, without torch: names, shapes and the count.

It mirrors `SequenceModel` exactly (a test checks every cell × pattern × direction × depth against
the real module), so it can answer before anything is allocated: a checkpoint's tensors are checked
against these shapes before they are read, a spec whose network would exceed `MAX_PARAMS` is refused
by `validate()`, and the app can show the real parameter count on its first frame, before `import torch`.
"""

from __future__ import annotations

import math

from rnntui.core.spec_types import ModelSpec

# 50 million parameters: 200 MB of float32 weights, 600 MB with Adam's two moments. Far above every
# lesson (the largest built-in preset has ~0.1 M), far below what would make a laptop swap.
MAX_PARAMS = 50_000_000

GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}

Shapes = dict[str, tuple[int, ...]]


def _rnn(prefix: str, cell: str, input_size: int, hidden: int, layers: int, directions: int) -> Shapes:
    """nn.RNN/LSTM/GRU parameters in registration order: per layer, per direction, w_ih w_hh b_ih b_hh."""
    g = GATES[cell] * hidden
    out: Shapes = {}
    for layer in range(layers):
        width = input_size if layer == 0 else directions * hidden
        for d in range(directions):
            sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
            out[f"{prefix}.weight_ih{sfx}"] = (g, width)
            out[f"{prefix}.weight_hh{sfx}"] = (g, hidden)
            out[f"{prefix}.bias_ih{sfx}"] = (g,)
            out[f"{prefix}.bias_hh{sfx}"] = (g,)
    return out


def _linear(prefix: str, n_in: int, n_out: int) -> Shapes:
    return {f"{prefix}.weight": (n_out, n_in), f"{prefix}.bias": (n_out,)}


def _attention(kind: str, enc_size: int, hidden: int) -> Shapes:
    """core/attention.py's parameters (none without attention)."""
    if kind == "none":
        return {}
    shapes: Shapes = {"attention.keys.weight": (hidden, enc_size)}
    if kind == "additive":
        shapes |= {"attention.keys.bias": (hidden,), "attention.query.weight": (hidden, hidden)}
        shapes["attention.score.weight"] = (1, hidden)
    return shapes | _linear("attention.combine", enc_size + hidden, hidden)


def param_shapes(m: ModelSpec, input_size: int, output_size: int, token_input: bool) -> Shapes:
    """Every parameter of `SequenceModel(m, task)`, in `named_parameters()` order.

    `input_size`: the input vocabulary (token inputs) or the input vector's width; `output_size`: the
    output vocabulary (classes) or the output width (values).
    """
    h, e, layers = m.hidden_size, m.embedding_dim, m.num_layers
    d = 2 if m.bidirectional else 1
    shapes: Shapes = {"embed.weight": (input_size, e)} if token_input else _linear("embed", input_size, e)
    if m.pattern in ("many_to_many", "many_to_one"):
        shapes |= _rnn("rnn", m.cell, e, h, layers, d)
        shapes |= _linear("head", d * h, output_size)
    elif m.pattern == "one_to_many":
        shapes |= _linear("init_state", e, layers * h)
        shapes["dec_embed.weight"] = (output_size, e)
        shapes |= _rnn("rnn", m.cell, e, h, layers, 1)
        shapes |= _linear("head", h, output_size)
    else:  # encoder_decoder
        shapes |= _rnn("rnn", m.cell, e, h, layers, d)
        shapes["dec_embed.weight"] = (output_size, e)
        shapes |= _rnn("decoder", m.cell, e, h, layers, 1)
        if m.bidirectional:
            shapes |= _linear("bridge", 2 * h, h)
            if m.cell == "lstm":
                shapes |= _linear("bridge_c", 2 * h, h)
        shapes |= _attention(m.attention, d * h, h)
        shapes |= _linear("head", h, output_size)
    return shapes


def param_count(m: ModelSpec, input_size: int, output_size: int, token_input: bool = True) -> int:
    """What `SequenceModel(m, task).param_count()` returns, by arithmetic."""
    return sum(math.prod(s) for s in param_shapes(m, input_size, output_size, token_input).values())


def too_large(count: int) -> str | None:
    """The refusal for a network of `count` parameters, or None when it is within the cap."""
    if count <= MAX_PARAMS:
        return None
    return (
        f"this network would have {count:,} parameters; the limit is {MAX_PARAMS:,}: lower "
        "model.hidden_size, model.num_layers or model.embedding_dim"
    )


# A batch's recurrent activations (every step's gates, cell and hidden state, kept for backprop):
# 500 million float32 values, 2 GB. The largest lesson (long-memory) needs 2.4 million.
MAX_ACTIVATIONS = 500_000_000


def activation_values(m: ModelSpec, batch_size: int, length: int) -> int:
    """Float values one training batch keeps for the backward pass through the recurrent stack."""
    directions = 2 if m.bidirectional else 1
    return batch_size * length * m.hidden_size * m.num_layers * directions * (GATES[m.cell] + 2)


def activation_problem(m: ModelSpec, batch_size: int, length: int) -> str | None:
    n = activation_values(m, batch_size, length)
    if n <= MAX_ACTIVATIONS:
        return None
    return (
        f"one batch of {batch_size:,} sequences of up to {length:,} steps would keep {n:,} activations "
        f"for training; the limit is {MAX_ACTIVATIONS:,}: lower train.batch_size, the sequence length "
        "or model.hidden_size"
    )
