"""Export a run: a standalone PyTorch script, an equivalent Keras model, or the metrics as CSV/JSONL.

The PyTorch script depends on torch alone: it rebuilds the architecture with plain nn modules,
loads the run's checkpoint (weights_only) and runs the prediction loop, so its numbers are the
run's numbers. The Keras file is the same architecture in Keras layers, without weights.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from rnntui.core.errors import RunError
from rnntui.core.runs import RunDir
from rnntui.core.spec import ExperimentSpec

FORMATS = ("pytorch", "keras", "csv", "jsonl")


def warnings_for(spec: ExperimentSpec) -> list[str]:
    """Pitfalls that apply to this architecture when it is rebuilt elsewhere."""
    m = spec.model
    out = []
    if m.dropout > 0 and m.num_layers == 1:
        out.append("dropout acts only between stacked layers: with one layer PyTorch ignores it (and warns)")
    if m.cell == "lstm":
        out.append(
            f"forget-gate bias: this run starts it at {m.forget_bias:g} (PyTorch's default is 0, Keras' "
            "unit_forget_bias=True gives 1); PyTorch has two bias vectors per layer, Keras one"
        )
    if m.cell == "gru":
        out.append("GRU: PyTorch applies the reset gate after the recurrent matmul (Keras reset_after=True)")
    if m.cell in ("rnn_relu",):
        out.append("ReLU RNN: unbounded activations; use gradient clipping")
    out.append(
        "cuDNN kernels: Keras uses them only with tanh/sigmoid activations, no recurrent dropout, "
        "unroll=False and use_bias=True; PyTorch's nn.LSTM/GRU use cuDNN on CUDA by default"
    )
    return out


def clean_metrics(run: RunDir) -> tuple[list[dict[str, Any]], list[str]]:
    """Records in order; steps logged after a run's last checkpoint and then resumed are dropped."""
    records, warnings = run.read_metrics()
    out: list[dict[str, Any]] = []
    for r in records:
        if r.get("event") == "resumed":
            cut = r.get("step", 0)
            out = [x for x in out if x.get("step", 0) <= cut]
        out.append(r)
    return out, warnings


def metrics_csv(run: RunDir) -> str:
    records, _ = clean_metrics(run)
    evals = {r["step"]: r for r in records if r.get("event") == "evaluated"}
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["step", "loss", "grad_norm", "clipped", "lr", "val_loss", "metric"])
    for r in records:
        if r.get("event") != "step":
            continue
        e = evals.get(r["step"], {})
        w.writerow(
            [
                r["step"],
                r["loss"],
                r["grad_norm"],
                int(bool(r["clipped"])),
                r["lr"],
                e.get("val_loss", ""),
                e.get("metric", ""),
            ]
        )
    return buf.getvalue()


def metrics_jsonl(run: RunDir) -> str:
    records, _ = clean_metrics(run)
    return "".join(json.dumps(r) + "\n" for r in records)


def pytorch_script(run: RunDir) -> str:
    cp = run.load()
    spec = cp.spec
    m = spec.model
    from rnntui.core.experiment import build_task

    task = build_task(spec.task, state=cp.task_state)
    if task.input_kind != "tokens" or m.pattern not in ("many_to_many", "many_to_one"):
        raise RunError(
            f"the PyTorch export covers token-input many→many and many→one runs for now; this run is "
            f"{m.pattern} with {task.input_kind} inputs"
        )
    in_vocab = task.in_vocab.itos
    out_vocab = task.out_vocab.itos
    char_level = task.join(["a", "b"]) == "ab"
    rnn_cls = {"lstm": "nn.LSTM", "gru": "nn.GRU"}.get(m.cell, "nn.RNN")
    nonlin = (
        ', nonlinearity="relu"' if m.cell == "rnn_relu" else (', nonlinearity="tanh"' if m.cell == "rnn_tanh" else "")
    )
    d = 2 if m.bidirectional else 1
    pitfalls = "\n".join(f"#   - {w}" for w in warnings_for(spec))
    return f'''"""Standalone rnntui export of run {run.path.name} ({spec.name}): {m.cell}, {m.num_layers} layer(s),
hidden {m.hidden_size}, {"bidirectional" if m.bidirectional else "unidirectional"}, {m.pattern}.

Needs only torch. Usage:  python {spec.name}_model.py CHECKPOINT "PREFIX" [--top K]
Pitfalls that apply to this architecture:
{pitfalls}
"""

import argparse
import re

import torch
from torch import nn

IN_VOCAB = {json.dumps(in_vocab, ensure_ascii=False)}
OUT_VOCAB = {json.dumps(out_vocab, ensure_ascii=False)}
CHAR_LEVEL = {char_level}
CASE = {json.dumps(task.p.get("case", "keep"))}
PATTERN = {json.dumps(m.pattern)}
UNK = IN_VOCAB.index("<unk>") if "<unk>" in IN_VOCAB else 0


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding({len(in_vocab)}, {m.embedding_dim})
        self.rnn = {rnn_cls}({m.embedding_dim}, {m.hidden_size}, num_layers={m.num_layers}, batch_first=True,
                           bidirectional={m.bidirectional}, dropout={m.dropout if m.num_layers > 1 else 0.0}{nonlin})
        self.head = nn.Linear({d * m.hidden_size}, {len(out_vocab)})

    def forward(self, ids):
        seq, h_n = self.rnn(self.embed(ids))
        if PATTERN == "many_to_many":
            return self.head(seq)[0, -1]  # the next token after the prefix
        h = h_n[0] if isinstance(h_n, tuple) else h_n
        final = torch.cat([h[-2], h[-1]], -1) if {d} == 2 else h[-1]  # last →, first ←
        return self.head(final)[0]


def tokenize(text):
    if CASE == "upper":
        text = text.upper()
    elif CASE == "lower":
        text = text.lower()
    words = list(text) if CHAR_LEVEL else re.findall(r"[\\w'áéíóúñü]+|[^\\w\\s]", text.lower())
    return [IN_VOCAB.index(w) if w in IN_VOCAB else UNK for w in words]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("prefix")
    ap.add_argument("--top", type=int, default=5)
    args = ap.parse_args()
    data = torch.load(args.checkpoint, map_location="cpu", weights_only=True)
    model = Model()
    state = {{k: v for k, v in data["model"].items() if k.split(".")[0] in ("embed", "rnn", "head")}}
    model.load_state_dict(state)
    model.eval()
    ids = tokenize(args.prefix)
    if not ids:
        raise SystemExit("give a non-empty prefix")
    with torch.no_grad():
        probs = torch.softmax(model(torch.tensor([ids])), -1)
    p, idx = probs.topk(min(args.top, probs.shape[-1]))
    for q, i in zip(p.tolist(), idx.tolist()):
        print(f"{{OUT_VOCAB[i]!r}}\\t{{q:.6f}}")


if __name__ == "__main__":
    main()
'''


def keras_script(run: RunDir) -> str:
    spec = run.spec()
    m = spec.model
    layer = {"lstm": "LSTM", "gru": "GRU"}.get(m.cell, "SimpleRNN")
    extra = {
        "lstm": ", unit_forget_bias=True",
        "gru": ", reset_after=True",
        "rnn_relu": ', activation="relu"',
        "rnn_tanh": ', activation="tanh"',
    }[m.cell]
    lines = [
        'inputs = keras.Input(shape=(None,), dtype="int32")',
        f"x = layers.Embedding(VOCAB_IN, {m.embedding_dim})(inputs)",
    ]
    for i in range(m.num_layers):
        last = i == m.num_layers - 1
        seq = "True" if (m.pattern == "many_to_many" or not last) else "False"
        dropout = f", dropout={m.dropout}" if m.dropout and i > 0 else ""
        cell = f"layers.{layer}({m.hidden_size}, return_sequences={seq}{extra}{dropout})"
        if m.bidirectional:
            cell = f'layers.Bidirectional({cell}, merge_mode="concat")'
        lines.append(f"x = {cell}(x)")
    lines.append("outputs = layers.Dense(VOCAB_OUT)(x)  # logits; PyTorch's head is nn.Linear")
    body = "\n".join(lines)
    pitfalls = "\n".join(f"#   - {w}" for w in warnings_for(spec))
    note = ""
    if m.pattern in ("one_to_many", "encoder_decoder"):
        note = (
            "\n# This run is " + m.pattern + ": the decoder (initial state from the encoder / the one input,\n"
            "# fed its own previous output) needs the Keras functional API with return_state=True and\n"
            "# initial_state=...; the stack above is the encoder half.\n"
        )
    return f'''"""Keras equivalent of rnntui run {run.path.name} ({spec.name}) — architecture only, no weights.

Where the frameworks differ:
#   - PyTorch stacks layers inside one module (num_layers={m.num_layers}); Keras needs one layer each,
#     with return_sequences=True on all but the last (for many-to-one).
#   - PyTorch's dropout=... between stacked layers is Keras' dropout= on the *inputs* of layers 2..N.
{pitfalls}
"""

import keras
from keras import layers

VOCAB_IN = 0  # fill in: size of your input vocabulary
VOCAB_OUT = 0  # fill in: number of output classes
{note}
{body}
model = keras.Model(inputs, outputs)
model.summary()
'''


def export(run_dir: str, fmt: str, out: str | None = None) -> Path:
    if fmt not in FORMATS:
        raise RunError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    run = RunDir.open(run_dir)
    spec = run.spec()
    text = {"pytorch": pytorch_script, "keras": keras_script, "csv": metrics_csv, "jsonl": metrics_jsonl}[fmt](run)
    default = {
        "pytorch": f"{spec.name}_model.py",
        "keras": f"{spec.name}_keras.py",
        "csv": "metrics.csv",
        "jsonl": "metrics.export.jsonl",
    }[fmt]
    path = Path(out) if out else run.path / default
    path.write_text(text, encoding="utf-8")
    return path
