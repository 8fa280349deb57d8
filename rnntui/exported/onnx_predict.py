"""rnntui's ONNX export of a trained network: `python THIS_FILE PREFIX [--top K] [--json]` prints what
`rnntui predict` prints. It needs onnxruntime and numpy, not torch. The network is in the .onnx file(s)
beside this script, with dynamic batch and sequence axes. A generator or an encoder-decoder comes as
two graphs, the encoder (its input -> the decoder's first state, and with attention its output at every
step) and one decoder step (with attention it reads those outputs and a mask, and returns its weights),
and the greedy loop that feeds each step its own previous output is here, in Python. It runs only the graphs it was
exported with: each file's sha256 is checked, and each graph's inputs and outputs against the run's sizes.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
import onnxruntime as ort

from rnntui.exported.shared import Inputs, UserError, run, weights_file  # rnntui:shared

DATA: dict[str, Any] = json.loads("{}")  # rnntui:data (`rnntui export` writes the run's sizes and vocabulary here)


Wanted = dict[str, tuple[str, list[int | None]]]  # name -> (element type, trailing dims; None: any)


def wanted(role: str) -> tuple[Wanted, Wanted]:
    """The inputs and outputs a graph of this run has: its input kind and size, layers, hidden and output size."""
    a = DATA["arch"]
    tokens, states = a["vocab_in"] is not None, ["h", "c"] if a["cell"] == "lstm" else ["h"]
    x = ("tensor(int64)", [None]) if tokens else ("tensor(float)", [a["input_dim"]])
    state: tuple[str, list[int | None]] = ("tensor(float)", [a["layers"], None, a["hidden"]])
    if role == "network":
        return {"x": x}, {"y": ("tensor(float)", [a["out_size"]])}
    # With attention the encoder also gives its output at every step (B, S, D*H), and each decoder step reads
    # it with a mask of the real steps (B, S) and says where it looked (B, S).
    attends = a["attention"] != "none"
    memory = {"memory": ("tensor(float)", [None, (2 if a["bidirectional"] else 1) * a["hidden"]])} if attends else {}
    if role == "encoder":
        return {"x": x}, {**{s: state for s in states}, **memory}
    step_in = {"token": ("tensor(int64)", [None, 1]), **{s: state for s in states}, **memory}
    step_out = {"logits": ("tensor(float)", [None, a["out_size"]]), **{f"{s}_out": state for s in states}}
    if attends:
        step_in["mask"], step_out["weights"] = ("tensor(bool)", [None, None]), ("tensor(float)", [None, None])
    return step_in, step_out


def check_graph(role: str, session: ort.InferenceSession, path: str) -> None:
    """A graph whose inputs or outputs differ from this run's (files mixed from two exports, an edited
    DATA line) is refused here, in one line, instead of failing inside onnxruntime or the loop below."""
    want_in, want_out = wanted(role)
    for kind, got, want in (("input", session.get_inputs(), want_in), ("output", session.get_outputs(), want_out)):
        if [g.name for g in got] != list(want):
            names = ", ".join(g.name for g in got)
            raise UserError(f"cannot load the network {path}: its {kind}s are {names}, not {', '.join(want)}")
        for g in got:
            element, dims = want[g.name]
            shape = list(g.shape)
            tail = shape[len(shape) - len(dims) :]
            fits = len(shape) >= len(dims) and all(
                w is None or not isinstance(d, int) or d == w for d, w in zip(tail, dims, strict=True)
            )
            if g.type != element or not fits:
                raise UserError(
                    f"cannot load the network {path}: its {kind} {g.name} is {g.type} {shape}; this program's run "
                    f"has {element} [..., {', '.join('?' if d is None else str(d) for d in dims)}]"
                )


class OnnxNetwork:
    def __init__(self, folder: str) -> None:
        self.a = DATA["arch"]
        self.sessions: dict[str, ort.InferenceSession] = {}
        for role, name in DATA["weights"].items():
            blob, path = weights_file(folder, DATA, role), os.path.join(folder, name)
            try:
                session = ort.InferenceSession(blob, providers=["CPUExecutionProvider"])
            except Exception as exc:  # a damaged file: onnxruntime raises its own exception types
                raise UserError(f"cannot load the network {path}: {(str(exc) or repr(exc)).splitlines()[0]}") from None
            check_graph(role, session, path)
            self.sessions[role] = session

    def outputs(self, inputs: Inputs) -> list[list[float]]:
        x = np.array([inputs], dtype=np.int64 if self.a["vocab_in"] is not None else np.float32)
        return self.sessions["network"].run(None, {"x": x})[0][0].tolist()  # (B, steps, out)

    def generate(self, inputs: Inputs) -> tuple[list[int], list[list[float]]]:
        out, encoder, step = DATA["output"], self.sessions["encoder"], self.sessions["decoder"]
        if self.a["pattern"] == "one_to_many":  # the one (last) input
            x = np.array(inputs[-1:], dtype=np.float32)
        else:
            x = np.array([inputs], dtype=np.int64)
        # h (and c for an LSTM): (layers, B, hidden); with attention the memory (B, S, D*H). Each is the step's
        # input of the same name; the state comes back as h_out (c_out), the memory is read again every step.
        feed = dict(zip([o.name for o in encoder.get_outputs()], encoder.run(None, {"x": x}), strict=True))
        if "memory" in feed:
            feed["mask"] = np.ones(feed["memory"].shape[:2], dtype=bool)  # one sequence: every step is real
        names = [o.name for o in step.get_outputs()]
        tok, ids, looked = out["bos"], [], []
        for _ in range(out["max_len"]):  # greedy decoding, fed its own previous output
            got = dict(zip(names, step.run(None, {"token": np.array([[tok]], dtype=np.int64), **feed}), strict=True))
            feed |= {s: got[f"{s}_out"] for s in ("h", "c") if s in feed}
            looked += [got["weights"][0].tolist()] if "weights" in got else []
            ids.append(tok := int(np.argmax(got["logits"][0])))
            if tok == out["eos"]:
                break
        return ids, looked


def load(folder: str) -> OnnxNetwork:
    return OnnxNetwork(folder)  # every failure is a UserError: one line, exit status 2


def main(argv: Sequence[str] | None = None) -> int:
    return run(argv, DATA, load, os.path.dirname(os.path.abspath(__file__)))


if __name__ == "__main__":
    sys.exit(main())
