"""rnntui's PyTorch export of a trained network: `python THIS_FILE PREFIX [--top K] [--json]` prints
what `rnntui predict` prints. It needs torch only: the network is rebuilt with the module names of
rnntui's SequenceModel (its attention included), so the weights in the .pt file beside it (tensors
only, read with weights_only=True, so loading runs no code) load strictly.
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from rnntui.exported.shared import Inputs, UserError, run, weights_file  # rnntui:shared

DATA: dict[str, Any] = json.loads("{}")  # rnntui:data (`rnntui export` writes the run's sizes and vocabulary here)


State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]  # h (L*D, B, H), or (h, c) for an LSTM


def make_rnn(a: dict[str, Any], input_size: int, bidirectional: bool) -> nn.RNNBase:
    # PyTorch's dropout= acts between stacked layers, only while training (model.eval() turns it off).
    kwargs = {"input_size": input_size, "hidden_size": a["hidden"], "num_layers": a["layers"]}
    kwargs |= {"bidirectional": bidirectional, "dropout": a["dropout"], "batch_first": True}
    if a["cell"] == "lstm":  # gates i, f, g, o; the forget-gate bias is part of the trained weights loaded below
        return nn.LSTM(**kwargs)
    if a["cell"] == "gru":  # gates r, z, n; n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        return nn.GRU(**kwargs)
    return nn.RNN(nonlinearity="relu" if a["cell"] == "rnn_relu" else "tanh", **kwargs)


class Attention(nn.Module):
    """Luong's global attention after the decoder's RNN, as rnntui's core/attention.py: keys = W_k h_s for
    every encoder output h_s; score(s, h_s) = s · keys_s (dot) or vᵀ tanh(W_q s + W_k h_s + b) (additive);
    α = softmax over the source; context = Σ α_s h_s; the head reads tanh(W_c [context; s] + b_c)."""

    def __init__(self, kind: str, enc_size: int, hidden: int) -> None:
        super().__init__()
        self.kind = kind
        self.keys = nn.Linear(enc_size, hidden, bias=kind == "additive")
        if kind == "additive":
            self.query = nn.Linear(hidden, hidden, bias=False)
            self.score = nn.Linear(hidden, 1, bias=False)  # v
        self.combine = nn.Linear(enc_size + hidden, hidden)

    def forward(self, dec: torch.Tensor, memory: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """dec (B, U, H), memory (B, S, E), one unpadded sequence each -> attended (B, U, H), weights (B, U, S)."""
        keys = self.keys(memory)
        if self.kind == "dot":
            scores = dec @ keys.transpose(1, 2)
        else:
            scores = self.score(torch.tanh(self.query(dec).unsqueeze(2) + keys.unsqueeze(1))).squeeze(-1)
        weights = torch.softmax(scores, dim=-1)
        return torch.tanh(self.combine(torch.cat([weights @ memory, dec], dim=-1))), weights


class Model(nn.Module):
    """The same modules, with the same names, as rnntui's SequenceModel."""

    def __init__(self, a: dict[str, Any]) -> None:
        super().__init__()
        self.a, e, h, out = a, a["embedding_dim"], a["hidden"], a["out_size"]
        self.d = 2 if a["bidirectional"] else 1
        if a["vocab_in"] is not None:
            self.embed: nn.Module = nn.Embedding(a["vocab_in"], e, padding_idx=a["pad"])
        else:
            self.embed = nn.Linear(a["input_dim"], e)
        if a["pattern"] in ("many_to_many", "many_to_one"):
            self.rnn = make_rnn(a, e, a["bidirectional"])
            self.head = nn.Linear(self.d * h, out)
        elif a["pattern"] == "one_to_many":  # the one input sets the generator's initial state
            self.init_state = nn.Linear(e, a["layers"] * h)
            self.dec_embed = nn.Embedding(out, e)
            self.rnn = make_rnn(a, e, False)
            self.head = nn.Linear(h, out)
        else:  # encoder_decoder
            self.rnn = make_rnn(a, e, a["bidirectional"])
            self.dec_embed = nn.Embedding(out, e)
            self.decoder = make_rnn(a, e, False)
            if a["bidirectional"]:  # both directions' final states -> the decoder's initial state
                self.bridge = nn.Linear(2 * h, h)
                if a["cell"] == "lstm":
                    self.bridge_c = nn.Linear(2 * h, h)
            if a["attention"] != "none":
                self.attention = Attention(a["attention"], self.d * h, h)
            self.head = nn.Linear(h, out)

    def bridge_state(self, h_n: State) -> State:
        """Encoder final state (L*D, B, H) -> decoder initial state (L, B, H)."""
        if self.d == 1:
            return h_n

        def merge(t: torch.Tensor, proj: nn.Module) -> torch.Tensor:
            t = t.view(self.a["layers"], 2, t.shape[1], t.shape[2])  # (L, D, B, H)
            return torch.tanh(proj(torch.cat([t[:, 0], t[:, 1]], -1)))

        if isinstance(h_n, tuple):
            return (merge(h_n[0], self.bridge), merge(h_n[1], self.bridge_c))
        return merge(h_n, self.bridge)


class TorchNetwork:
    def __init__(self, model: Model) -> None:
        self.m, self.a = model.eval(), model.a

    @torch.no_grad()
    def outputs(self, inputs: Inputs) -> list[list[float]]:
        m = self.m
        x = torch.tensor([inputs], dtype=torch.long if self.a["vocab_in"] is not None else torch.float32)
        seq, h_n = m.rnn(m.embed(x))
        if self.a["pattern"] == "many_to_many" or m.d == 1:  # one output per step (many-to-one: the state so far)
            return m.head(seq[0]).tolist()
        h = h_n[0] if isinstance(h_n, tuple) else h_n  # bidirectional many-to-one: last ->, first <-
        return m.head(torch.cat([h[-2], h[-1]], -1)).tolist()

    @torch.no_grad()
    def generate(self, inputs: Inputs) -> tuple[list[int], list[list[float]]]:
        m, a, out = self.m, self.a, DATA["output"]
        memory = None  # the encoder's output at every step (1, S, D*H), where the decoder attends to it
        if a["pattern"] == "one_to_many":
            h0 = torch.tanh(m.init_state(m.embed(torch.tensor(inputs[-1:], dtype=torch.float32))))
            h0 = h0.view(1, a["layers"], a["hidden"]).transpose(0, 1).contiguous()
            rnn, state = m.rnn, (h0, torch.zeros_like(h0)) if a["cell"] == "lstm" else h0
        else:
            seq, h_n = m.rnn(m.embed(torch.tensor([inputs], dtype=torch.long)))
            rnn, state, memory = m.decoder, m.bridge_state(h_n), seq if a["attention"] != "none" else None
        tok, ids, looked = out["bos"], [], []
        for _ in range(out["max_len"]):  # greedy decoding, fed its own previous output
            seq, state = rnn(m.dec_embed(torch.tensor([[tok]])), state)
            if memory is not None:
                seq, weights = m.attention(seq, memory)
                looked.append(weights[0, -1].tolist())
            ids.append(tok := int(m.head(seq[0, -1]).argmax()))
            if tok == out["eos"]:
                break
        return ids, looked


def load(folder: str) -> TorchNetwork:
    blob, path = weights_file(folder, DATA), os.path.join(folder, DATA["weights"]["network"])
    model = Model(DATA["arch"])
    try:
        model.load_state_dict(torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True))
    except Exception as exc:  # missing, damaged, or another network's weights
        raise UserError(f"cannot load the weights {path}: {(str(exc) or repr(exc)).splitlines()[0]}") from None
    return TorchNetwork(model)


def main(argv: Sequence[str] | None = None) -> int:
    return run(argv, DATA, load, os.path.dirname(os.path.abspath(__file__)))


if __name__ == "__main__":
    sys.exit(main())
