"""rnntui's Keras 3 export: `KERAS_BACKEND=torch python THIS_FILE PREFIX [--json]` prints what `rnntui predict`
prints. Any backend works (keras, numpy); the weights come from the .npz beside it (no pickle), converted here."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, Protocol

import numpy as np

try:
    import keras
    from keras import layers
except Exception as exc:  # Keras imports its backend: tensorflow, unless KERAS_BACKEND or keras.json names another
    why = f"Keras cannot start ({' '.join(str(exc).split()) or type(exc).__name__})"
    hint = "set KERAS_BACKEND=torch (or jax, tensorflow: one that is installed)"
    sys.stderr.write(f"{os.path.basename(sys.argv[0])}: error: {why}: {hint}\n")
    raise SystemExit(2) from None

DATA: dict[str, Any] = json.loads("{}")  # rnntui:data (`rnntui export` writes the run's sizes and vocabulary here)

# ---- shared: begin (every runner carries this block unchanged) ---------------------------------
WORD, NUMBER = re.compile(r"[\w'áéíóúñü]+|[^\w\s]"), re.compile(r"-?\d+")
FLOAT = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
# Text from a run reaches the terminal only as visible characters (as rnntui.core.textsafe.one_line):
# C0 controls become control pictures, newline ␤, DEL ␡; C1 controls and bidi overrides become �.
SHOWN = {c: chr(0x2400 + c) for c in range(0x20)} | {0x0A: "\u2424", 0x7F: "\u2421", 0x2028: "\u2424", 0x2029: "\u2424"}
SHOWN |= {
    c: "\ufffd" for c in (*range(0x80, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A), *range(0xD800, 0xE000))
}
Inputs = list[int] | list[list[float]]  # token ids, or one feature vector per step


class UserError(Exception):
    """Something the user can fix (a prefix, a weights folder): one line on stderr, exit status 2."""


class Network(Protocol):
    def outputs(self, inputs: Inputs) -> list[list[float]]: ...  # the head's output per reported step
    def generate(self, inputs: Inputs) -> list[int]: ...  # greedy ids, up to and including </s>


def read_prefix(text: str, spec: dict[str, Any]) -> tuple[list[str], Inputs, list[str]]:
    """(tokens as text, the network's inputs, the tokens it cannot read), as the run's task reads them."""
    kind, case = spec["kind"], spec.get("case")
    if kind == "digits3":  # the whole prefix is one number, 0-999, read as three one-hot digits
        s = text.strip()
        ok = s.isascii() and s.isdigit() and int(s) < 1000
        feats = [1.0 if ok and f"{int(s):03d}"[j // 10] == str(j % 10) else 0.0 for j in range(30)]
        return ([s], [feats], [] if ok else [s]) if s else ([], [], [])
    if kind == "floats":  # a series (normalised as in training), or (value, marked) pairs
        marker, (mean, std) = spec["marker"], spec["norm"]
        tokens, values, unknown = re.findall(r"[^\s,;]+", text), [], []
        for word in tokens:
            w, flag = (word[: -len(marker)], 1.0) if marker and word.endswith(marker) else (word, 0.0)
            ok = bool(FLOAT.fullmatch(w)) and math.isfinite(float(w))
            v = float(w) if ok else 0.0  # as the task reads it; a prefix with an unreadable value is refused
            values.append(([v, flag] if ok else [0.0, 0.0]) if marker else [(v - mean) / std])
            unknown += [] if ok else [word]
        return tokens, values, unknown
    if kind == "chars":  # the task's case rule, then one token per character of the typed text
        tokens = list((text.upper() if case == "upper" else text.lower() if case == "lower" else text)[: len(text)])
        keys: list[str | None] = list(tokens)
    elif kind == "words":
        tokens = WORD.findall(text)
        keys = [t.lower() for t in tokens]
    else:  # numbers: one token each
        tokens = [w.strip(",;") for w in re.findall(r"\S+", text)]
        keys = [t if NUMBER.fullmatch(t) else None for t in tokens]
    index = {t: i for i, t in enumerate(spec["vocab"])}
    ids = [index.get(k, spec["unk"]) if k is not None else spec["unk"] for k in keys]
    return tokens, ids, [t for t, k in zip(tokens, keys, strict=True) if k not in index]


def softmax(row: Sequence[float]) -> list[float]:
    top = max(row)
    total = sum(math.exp(v - top) for v in row)
    return [math.exp(v - top) / total for v in row]  # exp(-inf) is 0: a masked token gets p = 0


def predict(load: Callable[[], Network], prefix: str, data: dict[str, Any], top: int) -> dict[str, Any]:
    """What `rnntui predict --json` prints for this prefix (unknown tokens and empty prefixes refused)."""
    tokens, inputs, unknown = read_prefix(prefix, data["input"])
    if not tokens:
        raise UserError("give a non-empty prefix")
    if unknown:
        what = {"floats": "not a number", "digits3": "not a whole number from 0 to 999"}.get(data["input"]["kind"])
        raise UserError(f"{what or 'not in the vocabulary'}: {', '.join(repr(u) for u in sorted(set(unknown))[:5])}")
    out, window = data["output"], data["window"]
    start = max(0, len(tokens) - window)  # like the predictor, feed only the last `window` tokens
    result: dict[str, Any] = {"prefix": prefix, "tokens": tokens, "kind": out["kind"]}
    if start:
        result |= {"notice": f"only the last {window} tokens are fed (the window)", "window_start": start}
    net, vocab = load(), out.get("vocab")
    if out["kind"] in ("generate", "seq2seq"):
        ids = net.generate(inputs[start:])
        result["output"] = " ".join(vocab[i] for i in (ids[: ids.index(out["eos"])] if out["eos"] in ids else ids))
        return result
    rows = net.outputs(inputs[start:])
    if out["kind"] == "regress":
        mean, std = out["norm"]
        result |= {"forecast": rows[-1][0] * std + mean, "forecasts": [row[0] * std + mean for row in rows]}
    elif out["kind"] == "tag":
        probs = zip(tokens[start:], map(softmax, rows), strict=True)
        result["tags"] = [{"token": t, "tag": vocab[p.index(max(p))], "p": max(p)} for t, p in probs]
    else:  # lm: the next token after the prefix (never a special token); classify: the whole prefix's class
        banned = set(out.get("specials", [])) if out["kind"] == "lm" else set()
        p = softmax([-math.inf if i in banned else v for i, v in enumerate(rows[-1])])
        ranked = sorted((i for i in range(len(p)) if i not in banned), key=lambda i: -p[i])
        result["next"] = [{"token": vocab[i], "p": p[i]} for i in ranked[:top]]
        if out["kind"] == "classify":
            result["per_step"] = [{"class": vocab[q.index(max(q))], "p": max(q)} for q in map(softmax, rows)]
    return result


def result_lines(result: dict[str, Any]) -> list[str]:
    """The human-readable prediction, one visible line per row (what `rnntui predict` prints)."""
    kind, lines = result["kind"], [f"note: {result['notice'].translate(SHOWN)}"] if result.get("notice") else []
    if kind in ("lm", "classify"):
        for row in result["next"]:
            tok, p = row["token"], row["p"]
            shown, full = repr(tok) if tok.strip() != tok or not tok else tok, int(round(max(0.0, min(1.0, p)) * 20))
            lines.append(f"{shown.translate(SHOWN):>12}  {p:6.3f}  {'█' * full + '·' * (20 - full)}")
        if "continuation" in result:
            lines.append(f"greedy:  {(result['prefix'] + result['continuation']).translate(SHOWN)}")
            lines.append(f"sampled: {(result['prefix'] + result['sampled']).translate(SHOWN)}")
    elif kind == "tag":
        for t in result["tags"]:
            lines.append(f"{t['token'].translate(SHOWN):>14}  {t['tag'].translate(SHOWN):<8} {t['p']:.3f}")
    elif kind == "regress":
        lines += [] if result["forecast"] is None else [f"forecast: {result['forecast']:.4f}"]
    else:
        lines.append(result["output"].translate(SHOWN))
    return lines


def weights_file(folder: str, data: dict[str, Any], role: str = "network") -> bytes:
    """A weight file, if it is the one exported with this program (by the sha256 in DATA): another run's,
    even of the same shapes and vocabulary, would predict with another network."""
    path = os.path.join(folder, data["weights"][role])
    if not os.path.isfile(path) or not os.access(path, os.R_OK):  # a folder, device or FIFO is never read
        raise UserError(f"cannot load the weights {path}: not a readable file")
    with open(path, "rb") as fh:
        if hashlib.sha256(blob := fh.read()).hexdigest() != data["sha256"][role]:
            raise UserError(f"cannot load the weights {path}: not the ones exported with run {data['about']['run']}")
    return blob


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit status 2, like rnntui's own commands
        self.exit(2, f"{self.prog}: error: {message.translate(SHOWN)}\n")


def run(argv: Sequence[str] | None, data: dict[str, Any], load: Callable[[str], Network], here: str) -> int:
    about = f"run {data['about']['run']} ({data['about']['preset']})".translate(SHOWN).replace("%", "%%")
    # argparse %-formats a description holding "%(prog)": ours always holds one, and doubles every other %.
    ap = Parser(description=f"%(prog)s prints what `rnntui predict` prints for {about}")
    ap.add_argument("prefix", help="the text, numbers or values to read, as `rnntui predict` takes them")
    ap.add_argument("--top", type=int, default=5, help="how many next tokens or classes to list")
    ap.add_argument("--json", action="store_true", help="print what `rnntui predict --json` prints")
    ap.add_argument("--weights-dir", default=here, help="the folder of the weight files (default: this script's)")
    args = ap.parse_args(argv)
    if args.top < 1:
        ap.error("--top must be 1 or more")
    try:
        result = predict(lambda: load(args.weights_dir), args.prefix, data, args.top)
    except UserError as exc:
        sys.stderr.write(f"{ap.prog}: error: {str(exc).translate(SHOWN)}\n")
        return 2
    getattr(sys.stdout, "reconfigure", lambda **_: None)(errors="replace")  # a lone surrogate: no crash
    if args.json:  # NaN and Inf become null, as `rnntui predict --json` writes them
        print(json.dumps(json.loads(json.dumps(result), parse_constant=lambda _: None), ensure_ascii=False))
    else:
        print("\n".join(result_lines(result)))
    return 0


# ---- shared: end -------------------------------------------------------------------------------


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
        layer = layers.Dense(units, activation=activation)
        self.pending.append((layer, [self.w[f"{name}.weight"].T, self.w[f"{name}.bias"]]))
        return layer

    def stack(self, x: KT, name: str, bi: bool, sequences: bool, initial: Layers | None = None) -> tuple[KT, Layers]:
        """The recurrent layers: the top output, and every layer's final states."""
        finals = []
        for i in range(self.a["layers"]):
            last = i == self.a["layers"] - 1
            layer = recurrent(self.a, sequences or not last, initial is not None or not sequences, bi)
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
        x_in, k = keras.Input((None,), dtype="int32"), self.k
        _, finals = self.stack(self.embed("embed", x_in), "rnn", self.a["bidirectional"], False)
        if not self.a["bidirectional"]:
            return keras.Model(x_in, sum(finals, []))
        # Both directions' final states, joined, through tanh(Linear) make the decoder's (as in rnntui).
        merge = [self.dense(n, self.a["hidden"], "tanh") for n in ("bridge", "bridge_c")[:k]]
        return keras.Model(x_in, [merge[j](layers.Concatenate()([f[j], f[k + j]])) for f in finals for j in range(k)])

    def decoder(self, name: str) -> keras.Model:
        """One step: (previous token, the state of every layer) -> (logits, their next state)."""
        tok, k = keras.Input((1,), dtype="int32"), self.k
        states = [[keras.Input((self.a["hidden"],)) for _ in range(k)] for _ in range(self.a["layers"])]
        x, finals = self.stack(self.embed("dec_embed", tok), name, False, False, states)
        return keras.Model([tok, *sum(states, [])], [self.dense("head", self.a["out_size"])(x), *sum(finals, [])])

    # predict_on_batch: inference on any backend (no gradients, dropout off), numpy arrays in and out.
    def outputs(self, inputs: Inputs) -> list[list[float]]:
        y = self.net.predict_on_batch(np.array([inputs], "int32" if self.a["vocab_in"] else "float32"))
        return (y[0] if y.ndim == 3 else y).tolist()

    def generate(self, inputs: Inputs) -> list[int]:
        a, out = self.a, DATA["output"]
        if a["pattern"] == "one_to_many":  # the last input; layer l's h0 is the l-th slice, c0 zeros
            s = self.start.predict_on_batch(np.array(inputs[-1:], "float32"))
            h = [s[:, i * a["hidden"] : (i + 1) * a["hidden"]] for i in range(a["layers"])]
            state = [m for x in h for m in [x, np.zeros_like(x)][: self.k]]
        else:
            state = self.start.predict_on_batch(np.array([inputs], "int32"))
            state = list(state) if isinstance(state, list | tuple) else [state]
        tok, ids = out["bos"], []
        while len(ids) < out["max_len"] and (not ids or tok != out["eos"]):  # greedy decoding, fed back
            logits, *state = self.step.predict_on_batch([np.array([[tok]], "int32"), *state])
            ids.append(tok := int(np.argmax(logits[0])))
        return ids


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
