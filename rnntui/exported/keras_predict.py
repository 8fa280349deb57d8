"""rnntui's Keras 3 export: `KERAS_BACKEND=torch python THIS_FILE PREFIX [--json]` prints what `rnntui predict`
prints. Any backend works (keras, numpy); the weights come from the .npz beside it (no pickle), converted here."""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from rnntui.exported.shared import Inputs, UserError, run, weights_file  # rnntui:shared

try:
    import keras
    from keras import layers
except Exception as exc:  # Keras imports its backend: tensorflow, unless KERAS_BACKEND or keras.json names another
    why = f"Keras cannot start ({' '.join(str(exc).split()) or type(exc).__name__})"
    hint = "set KERAS_BACKEND=torch (or jax, tensorflow: one that is installed)"
    sys.stderr.write(f"{os.path.basename(sys.argv[0])}: error: {why}: {hint}\n")
    raise SystemExit(2) from None

DATA: dict[str, Any] = json.loads("{}")  # rnntui:data (`rnntui export` writes the run's sizes and vocabulary here)


def recurrent(a: dict[str, Any], sequences: bool, state: bool, bi: bool) -> layers.Layer:
    """One layer: PyTorch stacks num_layers in one module, Keras needs one each, all but the last returning
    every step. cuDNN: Keras' fused GPU kernel needs the default activations, recurrent_dropout=0, unroll=False,
    use_bias=True (GRU: reset_after=True); PyTorch's nn.LSTM/nn.GRU use cuDNN on CUDA whatever they get."""
    kw = {"return_sequences": sequences, "return_state": state}
    if a["cell"] == "lstm":  # unit_forget_bias=True starts Keras' forget gate at 1 (PyTorch's at 0; rnntui
        # sets model.forget_bias): it shapes only the initial weights, and the trained ones are loaded.
        layer = layers.LSTM(a["hidden"], unit_forget_bias=True, **kw)
    elif a["cell"] == "gru":  # PyTorch resets after the recurrent matmul, tanh(Wx + b + r * (Uh + b')):
        layer = layers.GRU(a["hidden"], reset_after=True, **kw)  # Keras' reset_after=True, two bias vectors
    else:  # a ReLU RNN's state is unbounded: train one with gradient clipping
        layer = layers.SimpleRNN(a["hidden"], activation="relu" if a["cell"] == "rnn_relu" else "tanh", **kw)
    return layers.Bidirectional(layer, merge_mode="concat") if bi else layer


KT = keras.KerasTensor  # a symbolic tensor of the functional models below
Layers = list[list[KT]]  # per layer: its state tensors (h, or h and c), forward then backward


def cell_weights(w: dict[str, np.ndarray], cell: str, name: str) -> list[np.ndarray]:
    w_ih, w_hh, b_ih, b_hh = (w[name.format(k)] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    # PyTorch keeps a matrix as (out, in) and computes W x; Keras as (in, out) and computes x W: transposed.
    if cell == "gru":  # PyTorch stacks the gates r, z, n; Keras z, r, h; its (2, 3H) bias is b_ih and b_hh
        zrh = [np.concatenate([np.split(m, 3)[j] for j in (1, 0, 2)]) for m in (w_ih, w_hh, b_ih, b_hh)]
        return [zrh[0].T, zrh[1].T, np.stack(zrh[2:])]
    # LSTM gates are i, f, g, o in both (Keras calls g "c"). PyTorch adds two bias vectors, b_ih + b_hh;
    # Keras' LSTM and SimpleRNN have one: their sum.
    return [w_ih.T, w_hh.T, b_ih + b_hh]


class KerasNetwork:
    def __init__(self, w: dict[str, np.ndarray]) -> None:
        a = self.a = DATA["arch"]
        self.w, self.k = w, 2 if a["cell"] == "lstm" else 1  # k: state tensors per layer
        self.pending: list[tuple[layers.Layer, list[np.ndarray]]] = []  # each layer and its weights
        if a["pattern"] in ("many_to_many", "many_to_one"):
            x_in = keras.Input((None,), dtype="int32") if a["vocab_in"] else keras.Input((None, a["input_dim"]))
            # many-to-one in one direction: the head reads the top state after every step, as the predictor
            # does; bidirectional: after the whole prefix only (the backward half starts at its end).
            every_step = a["pattern"] == "many_to_many" or not a["bidirectional"]
            x, _ = self.stack(self.embed("embed", x_in), "rnn", a["bidirectional"], every_step)
            self.net = keras.Model(x_in, self.dense("head", a["out_size"])(x))
        elif a["pattern"] == "one_to_many":  # the one input sets the generator's initial state
            x_in = keras.Input((a["input_dim"],))
            start = self.dense("init_state", a["layers"] * a["hidden"], "tanh")(self.embed("embed", x_in))
            self.start, self.step = keras.Model(x_in, start), self.decoder("rnn")
        else:
            self.start, self.step = self.encoder(), self.decoder("decoder")
        for layer, values in self.pending:  # every layer is built now: give it its trained weights
            layer.set_weights(values)

    def embed(self, name: str, x: KT) -> KT:
        if name == "embed" and not self.a["vocab_in"]:  # number inputs: PyTorch's nn.Linear
            return self.dense(name, self.a["embedding_dim"])(x)
        layer = layers.Embedding(*self.w[f"{name}.weight"].shape)
        self.pending.append((layer, [self.w[f"{name}.weight"]]))
        return layer(x)

    def dense(self, name: str, units: int, activation: str | None = None) -> layers.Layer:
        bias = [self.w[f"{name}.bias"]] if f"{name}.bias" in self.w else []  # attention's query and dot keys: none
        layer = layers.Dense(units, activation=activation, use_bias=bool(bias))
        self.pending.append((layer, [self.w[f"{name}.weight"].T, *bias]))
        return layer

    def stack(
        self, x: KT, name: str, bi: bool, sequences: bool, initial: Layers | None = None, states: bool = False
    ) -> tuple[KT, Layers]:
        """The recurrent layers: the top output (every step's, or the last), and every layer's final states
        (when asked for, or when they start from `initial` ones)."""
        finals = []
        for i in range(self.a["layers"]):
            last = i == self.a["layers"] - 1
            layer = recurrent(self.a, sequences or not last, states or initial is not None, bi)
            out = layer(x, initial_state=initial[i]) if initial else layer(x)
            x, state = (out[0], list(out[1:])) if isinstance(out, list | tuple) else (out, [])
            finals.append(state)
            names = [f"{name}.{{}}_l{i}"] + ([f"{name}.{{}}_l{i}_reverse"] if bi else [])
            self.pending.append((layer, [m for n in names for m in cell_weights(self.w, self.a["cell"], n)]))
            if self.a["dropout"] and not last:
                # PyTorch's dropout= drops the outputs of all layers but the last (training only): a Dropout layer
                # here. Keras' dropout= drops a layer's inputs, one mask for all steps; recurrent_dropout= its state.
                x = layers.Dropout(self.a["dropout"])(x)
        return x, finals

    def encoder(self) -> keras.Model:
        """The decoder's first state (every layer's), and with attention the top layer's output at every step."""
        x_in, k, attends = keras.Input((None,), dtype="int32"), self.k, self.a["attention"] != "none"
        seq, finals = self.stack(self.embed("embed", x_in), "rnn", self.a["bidirectional"], attends, states=True)
        memory = [seq] if attends else []  # (B, S, D*H), both directions side by side as PyTorch's output
        if not self.a["bidirectional"]:
            return keras.Model(x_in, [*sum(finals, []), *memory])
        # Both directions' final states, joined, through tanh(Linear) make the decoder's (as in rnntui).
        merge = [self.dense(n, self.a["hidden"], "tanh") for n in ("bridge", "bridge_c")[:k]]
        starts = [merge[j](layers.Concatenate()([f[j], f[k + j]])) for f in finals for j in range(k)]
        return keras.Model(x_in, [*starts, *memory])

    def decoder(self, name: str) -> keras.Model:
        """One step: (previous token, the state of every layer[, the encoder's outputs]) -> (logits, their next
        state[, the attention weights over the encoder's steps])."""
        a, tok, k = self.a, keras.Input((1,), dtype="int32"), self.k
        states = [[keras.Input((a["hidden"],)) for _ in range(k)] for _ in range(a["layers"])]
        x, finals = self.stack(self.embed("dec_embed", tok), name, False, False, states)
        ins, outs = [tok, *sum(states, [])], sum(finals, [])
        if a["attention"] != "none":
            memory = keras.Input((None, (2 if a["bidirectional"] else 1) * a["hidden"]))
            x, looked = self.attend(x, memory)
            ins, outs = [*ins, memory], [*outs, looked]
        return keras.Model(ins, [self.dense("head", a["out_size"])(x), *outs])

    def attend(self, s: KT, memory: KT) -> tuple[KT, KT]:
        """rnntui's attention (Luong's, after the decoder's RNN): the state s (B, H) scores every encoder output
        h (B, S, E); the head reads tanh(W_c [Σ α h; s] + b_c). Returns that (B, H) and the weights α (B, S)."""
        h = self.a["hidden"]
        query = layers.Reshape((1, h))(s)  # Keras' attention layers take a sequence of queries: one here
        keys = self.dense("attention.keys", h)(memory)  # W_k h (+ b for the additive score)
        if self.a["attention"] == "dot":  # s · (W_k h): Attention's "dot" score, unscaled, is exactly this
            layer, q = layers.Attention(use_scale=False, score_mode="dot"), query
        else:
            # vᵀ tanh(W_q s + W_k h + b). AdditiveAttention computes Σ_j scale_j tanh(q_j + k_j): the same with
            # q = W_q s and k = W_k h + b (it has no projections of its own) and its `scale` (a vector of H
            # weights, though its docstring says a scalar) = v. Attention(score_mode="concat") differs: one scalar
            # for all of v. Where the query comes from is ours: this step's state after the RNN (Luong's place),
            # not the previous one as in Bahdanau's paper.
            layer, q = layers.AdditiveAttention(use_scale=True), self.dense("attention.query", h)(query)
            self.pending.append((layer, [self.w["attention.score.weight"][0]]))
        # One unpadded sequence: no mask. (Keras would mask a padded step by subtracting 1e9 from its score,
        # rnntui sets it to -inf: the same weights, 0, after the softmax.)
        context, looked = layer([q, memory, keys], return_attention_scores=True)
        attended = self.dense("attention.combine", h, "tanh")(layers.Concatenate()([context, query]))
        return layers.Flatten()(attended), layers.Flatten()(looked)

    # predict_on_batch: inference on any backend (no gradients, dropout off), numpy arrays in and out.
    def outputs(self, inputs: Inputs) -> list[list[float]]:
        y = self.net.predict_on_batch(np.array([inputs], "int32" if self.a["vocab_in"] else "float32"))
        return (y[0] if y.ndim == 3 else y).tolist()

    def generate(self, inputs: Inputs) -> tuple[list[int], list[list[float]]]:
        a, out = self.a, DATA["output"]
        if a["pattern"] == "one_to_many":  # the last input; layer l's h0 is the l-th slice, c0 zeros
            s = self.start.predict_on_batch(np.array(inputs[-1:], "float32"))
            h = [s[:, i * a["hidden"] : (i + 1) * a["hidden"]] for i in range(a["layers"])]
            state = [m for x in h for m in [x, np.zeros_like(x)][: self.k]]
        else:
            state = self.start.predict_on_batch(np.array([inputs], "int32"))
            state = list(state) if isinstance(state, list | tuple) else [state]
        memory = state[-1:] if a["attention"] != "none" else []  # the encoder's outputs, read by every step
        state = state[: len(state) - len(memory)]
        tok, ids, looked = out["bos"], [], []
        while len(ids) < out["max_len"] and (not ids or tok != out["eos"]):  # greedy decoding, fed back
            logits, *state = self.step.predict_on_batch([np.array([[tok]], "int32"), *state, *memory])
            looked += [state.pop()[0].tolist()] if memory else []
            ids.append(tok := int(np.argmax(logits[0])))
        return ids, looked


def load(folder: str) -> KerasNetwork:
    blob, path = weights_file(folder, DATA), os.path.join(folder, DATA["weights"]["network"])
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as f:
            return KerasNetwork({k: f[k] for k in f.files})
    except Exception as exc:  # missing, damaged, or another network's weights
        raise UserError(f"cannot load the weights {path}: {(str(exc) or repr(exc)).splitlines()[0]}") from None


def main(argv: Sequence[str] | None = None) -> int:
    return run(argv, DATA, load, os.path.dirname(os.path.abspath(__file__)))


if __name__ == "__main__":
    sys.exit(main())
