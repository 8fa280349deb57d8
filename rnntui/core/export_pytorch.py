"""The standalone PyTorch script export: every pattern, token or number inputs.

The script depends on torch alone. It rebuilds the network with the same module names as
`SequenceModel` (so the checkpoint's weights load strictly), reads a prefix the way the run's task
does, and prints what `rnntui predict` shows: the top next tokens or classes, a tag per word, the
forecast, or the generated / decoded sequence.
"""

from __future__ import annotations

import json
from typing import Any

from rnntui.core.errors import RunError
from rnntui.core.runs import RunDir
from rnntui.core.tasks.base import Task

WINDOW = 512  # as the predictor: only the last 512 tokens are fed


def input_reader(task: Task) -> dict[str, Any]:
    """How the script turns a prefix into inputs, as data (the script holds no rnntui code)."""
    from rnntui.core.tasks.adding import AddingTask
    from rnntui.core.tasks.charlm import CharLMTask
    from rnntui.core.tasks.numbers import NumberSequenceTask
    from rnntui.core.tasks.seq2seq import SpellNumberTask
    from rnntui.core.tasks.series import SineTask
    from rnntui.core.tasks.words import PoolTask

    if isinstance(task, CharLMTask):
        return {"kind": "chars", "case": task.p["case"], "vocab": task.in_vocab.itos, "unk": task.in_vocab.unk}
    if isinstance(task, NumberSequenceTask):
        return {"kind": "numbers", "vocab": task.in_vocab.itos, "unk": task.in_vocab.unk}
    if isinstance(task, SineTask):
        return {"kind": "floats", "marker": None, "norm": list(task.norm)}
    if isinstance(task, AddingTask):
        return {"kind": "floats", "marker": "*", "norm": [0.0, 1.0]}
    if isinstance(task, SpellNumberTask):
        return {"kind": "digits3"}
    if isinstance(task, PoolTask) and type(task).tokenize is PoolTask.tokenize:
        return {"kind": "words", "vocab": task.in_vocab.itos, "unk": task.in_vocab.unk}
    raise RunError(f"the PyTorch export does not know how task {task.name!r} reads a prefix")


def output_writer(task: Task) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": task.kind, "join": "" if task.join(["a", "b"]) == "ab" else " "}
    if task.out_vocab is not None:
        out["vocab"] = task.out_vocab.itos
        out["bos"], out["eos"] = task.out_vocab.bos, task.out_vocab.eos
        out["banned"] = [i for i in (task.out_vocab.pad, task.out_vocab.unk) if i is not None]
    out["norm"] = list(getattr(task, "norm", (0.0, 1.0)))
    out["max_len"] = getattr(task, "max_output", 16)
    return out


def pytorch_script(run: RunDir, warnings: list[str]) -> str:
    cp = run.load()
    spec = cp.spec
    m = spec.model
    from rnntui.core.experiment import build_task

    task = build_task(spec.task, state=cp.task_state)
    arch = {
        "cell": m.cell,
        "hidden": m.hidden_size,
        "layers": m.num_layers,
        "bidirectional": m.bidirectional,
        "dropout": m.dropout if m.num_layers > 1 else 0.0,
        "embedding_dim": m.embedding_dim,
        "pattern": m.pattern,
        "vocab_in": len(task.in_vocab) if task.input_kind == "tokens" else None,
        "pad": task.in_vocab.pad if task.input_kind == "tokens" else None,
        "input_dim": None if task.input_kind == "tokens" else task.input_dim,
        "out_size": len(task.out_vocab) if task.output_kind == "classes" and task.out_vocab else task.output_dim,
        "value_out": task.output_kind == "value",
    }
    pitfalls = "\n".join(f"#   - {w}" for w in warnings)
    direction = "bidirectional" if m.bidirectional else "unidirectional"
    header = f"{run.path.name} ({spec.name}): {m.cell}, {m.num_layers} layer(s), hidden {m.hidden_size}, {direction}"
    header += f", {m.pattern}"
    reader = input_reader(task)
    usage = {
        "chars": '"HELL"',
        "words": '"the movie was not good"',
        "numbers": '"2 4 8"',
        "floats": '"0.3 0.7* 0.1 0.5*"' if reader.get("marker") else '"0.1 0.5 0.9"',
        "digits3": '"342"',
    }[reader["kind"]]
    return (
        TEMPLATE.replace("@HEADER@", header)
        .replace("@SCRIPT@", f"{spec.name}_model.py")
        .replace("@USAGE@", usage)
        .replace("@PITFALLS@", pitfalls)
        .replace("@ARCH@", json.dumps(arch))
        .replace("@INPUT@", json.dumps(reader, ensure_ascii=False))
        .replace("@OUTPUT@", json.dumps(output_writer(task), ensure_ascii=False))
        .replace("@WINDOW@", str(WINDOW))
    )


TEMPLATE = '''"""Standalone rnntui export of run @HEADER@.

Needs only torch. Usage:  python @SCRIPT@ CHECKPOINT @USAGE@ [--top K]
It prints what `rnntui predict` shows for the prefix: the top next tokens or classes with their
probabilities (tab-separated), a tag per word, the forecast, or the generated sequence.
Pitfalls that apply to this architecture:
@PITFALLS@
"""

import argparse
import json
import math
import re

import torch
from torch import nn

ARCH = json.loads(r"""@ARCH@""")
INPUT = json.loads(r"""@INPUT@""")
OUTPUT = json.loads(r"""@OUTPUT@""")
WINDOW = @WINDOW@
WORD = re.compile(r"[\\w'áéíóúñü]+|[^\\w\\s]")
FLOAT = re.compile(r"[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?")


def make_rnn(input_size, bidirectional):
    kwargs = dict(input_size=input_size, hidden_size=ARCH["hidden"], num_layers=ARCH["layers"],
                  bidirectional=bidirectional, dropout=ARCH["dropout"], batch_first=True)
    if ARCH["cell"] == "lstm":
        return nn.LSTM(**kwargs)
    if ARCH["cell"] == "gru":
        return nn.GRU(**kwargs)
    return nn.RNN(nonlinearity="relu" if ARCH["cell"] == "rnn_relu" else "tanh", **kwargs)


class Model(nn.Module):
    """The same modules, with the same names, as rnntui's SequenceModel."""

    def __init__(self):
        super().__init__()
        e, h, layers, pattern = ARCH["embedding_dim"], ARCH["hidden"], ARCH["layers"], ARCH["pattern"]
        self.d = 2 if ARCH["bidirectional"] else 1
        if ARCH["vocab_in"] is not None:
            self.embed = nn.Embedding(ARCH["vocab_in"], e, padding_idx=ARCH["pad"])
        else:
            self.embed = nn.Linear(ARCH["input_dim"], e)
        out = ARCH["out_size"]
        if pattern in ("many_to_many", "many_to_one"):
            self.rnn = make_rnn(e, ARCH["bidirectional"])
            self.head = nn.Linear(self.d * h, out)
        elif pattern == "one_to_many":  # the one input sets the generator's initial state
            self.init_state = nn.Linear(e, layers * h)
            self.dec_embed = nn.Embedding(out, e)
            self.rnn = make_rnn(e, False)
            self.head = nn.Linear(h, out)
        else:  # encoder_decoder
            self.rnn = make_rnn(e, ARCH["bidirectional"])
            self.dec_embed = nn.Embedding(out, e)
            self.decoder = make_rnn(e, False)
            if ARCH["bidirectional"]:  # both directions' final states → the decoder's initial state
                self.bridge = nn.Linear(2 * h, h)
                if ARCH["cell"] == "lstm":
                    self.bridge_c = nn.Linear(2 * h, h)
            self.head = nn.Linear(h, out)

    def final_features(self, h_n):
        h = h_n[0] if isinstance(h_n, tuple) else h_n
        return torch.cat([h[-2], h[-1]], -1) if self.d == 2 else h[-1]  # last →, first ←

    def bridge_state(self, h_n):
        if self.d == 1:
            return h_n
        layers = ARCH["layers"]

        def merge(t, proj):
            t = t.view(layers, 2, t.shape[1], t.shape[2])
            return torch.tanh(proj(torch.cat([t[:, 0], t[:, 1]], -1)))

        if isinstance(h_n, tuple):
            return (merge(h_n[0], self.bridge), merge(h_n[1], self.bridge_c))
        return merge(h_n, self.bridge)

    def greedy(self, rnn, state):
        inp, ids = torch.tensor([[OUTPUT["bos"]]]), []
        for _ in range(OUTPUT["max_len"]):
            seq, state = rnn(self.dec_embed(inp), state)
            nxt = int(self.head(seq[0, -1]).argmax())
            ids.append(nxt)
            if nxt == OUTPUT["eos"]:
                break
            inp = torch.tensor([[nxt]])
        return [OUTPUT["vocab"][i] for i in ids if i != OUTPUT["eos"]]


def read_prefix(text):
    """(inputs tensor, the tokens as text) the way the run's task reads a prefix."""
    kind = INPUT["kind"]
    if kind in ("chars", "words", "numbers"):
        vocab, unk = INPUT["vocab"], INPUT["unk"]
        if kind == "chars":
            case = INPUT["case"]
            norm = text.upper() if case == "upper" else text.lower() if case == "lower" else text
            words = list(norm[: len(text)])
        elif kind == "words":
            words = [w.lower() for w in WORD.findall(text)]
        else:
            words = [w.strip(",;") for w in text.split()]
            words = [w if re.fullmatch(r"-?\\d+", w) else "\\0" for w in words]
        index = {w: i for i, w in enumerate(vocab)}
        ids = [index.get(w, unk) for w in words][-WINDOW:]
        return torch.tensor([ids], dtype=torch.long), words[-WINDOW:]
    if kind == "digits3":
        s = text.strip()
        if not (s.isascii() and s.isdigit() and int(s) < 1000):
            raise SystemExit("give a whole number from 0 to 999")
        feats = [0.0] * 30
        for pos, digit in enumerate(f"{int(s):03d}"):
            feats[pos * 10 + int(digit)] = 1.0
        return torch.tensor([[feats]]), [s]
    mean, std = INPUT["norm"]
    marker = INPUT["marker"]
    values, words = [], []
    for word in re.findall(r"[^\\s,;]+", text):
        flag, w = 0.0, word
        if marker and w.endswith(marker):
            w, flag = w[: -len(marker)], 1.0
        ok = bool(FLOAT.fullmatch(w)) and math.isfinite(float(w))
        if marker:  # the adding problem: (value, marked), not normalised
            values.append([float(w), flag] if ok else [0.0, 0.0])
        else:  # a series, normalised as in training (an unreadable number is read as 0)
            values.append([((float(w) if ok else 0.0) - mean) / std])
        words.append(word)
    values = values[-WINDOW:]
    return torch.tensor([values], dtype=torch.float32), words[-WINDOW:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("prefix")
    ap.add_argument("--top", type=int, default=5)
    args = ap.parse_args()
    data = torch.load(args.checkpoint, map_location="cpu", weights_only=True)
    model = Model()
    names = set(model.state_dict())
    model.load_state_dict({k: v for k, v in data["model"].items() if k in names})
    model.eval()
    x, words = read_prefix(args.prefix)
    if x.shape[1] == 0:
        raise SystemExit("give a non-empty prefix")
    kind, pattern = OUTPUT["kind"], ARCH["pattern"]
    with torch.no_grad():
        if pattern == "one_to_many":
            h0 = torch.tanh(model.init_state(model.embed(x[:, -1])))
            h0 = h0.view(1, ARCH["layers"], ARCH["hidden"]).transpose(0, 1).contiguous()
            state = (h0, torch.zeros_like(h0)) if ARCH["cell"] == "lstm" else h0
            print(OUTPUT["join"].join(model.greedy(model.rnn, state)))
            return
        seq, h_n = model.rnn(model.embed(x))
        if pattern == "encoder_decoder":
            print(OUTPUT["join"].join(model.greedy(model.decoder, model.bridge_state(h_n))))
            return
        if pattern == "many_to_many":
            outs = model.head(seq[0])  # one output per step
        else:
            outs = model.head(model.final_features(h_n))
    if kind == "regress":
        mean, std = OUTPUT["norm"]
        print(f"forecast\\t{float(outs[-1].reshape(-1)[0]) * std + mean:.6f}")
    elif kind == "tag":
        for word, logits in zip(words, outs):
            p, i = torch.softmax(logits.float(), -1).max(-1)
            print(f"{word!r}\\t{OUTPUT['vocab'][int(i)]}\\t{float(p):.6f}")
    else:  # lm: the next token after the prefix; classify: the class of the whole prefix
        probs = torch.softmax(outs[-1].float(), -1)
        p, idx = probs.topk(min(args.top, probs.shape[-1]))
        for q, i in zip(p.tolist(), idx.tolist()):
            print(f"{OUTPUT['vocab'][i]!r}\\t{q:.6f}")


if __name__ == "__main__":
    main()
'''
