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
    from rnntui.core.export_pytorch import pytorch_script as script

    return script(run, warnings_for(run.spec()))


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
