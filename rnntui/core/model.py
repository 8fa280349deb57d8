"""One SequenceModel for every cell × direction × depth × output pattern, on the fused kernels.

The recurrent stacks are plain `nn.RNN`/`nn.LSTM`/`nn.GRU` modules so training runs on the fused
kernels. Every call to a stack goes through a *runner*; the default runs the fused module, and
`rnntui.core.trace` supplies a step-by-step runner over the same weights, so the trace, the
gradient-through-time probe and the predictor see exactly the network that trains.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnntui.core.attention import Attention, source_mask
from rnntui.core.decoding import Memory, greedy
from rnntui.core.labels import layer_label
from rnntui.core.spec import ModelSpec
from rnntui.core.tasks.base import Task
from rnntui.core.tasks.data import IGNORE, Batch, move
from rnntui.core.tasks.kinds import InputKind, OutputKind

State = Any  # h_n tensor (L*D, B, H), or an (h_n, c_n) tuple for LSTM
Runner = Callable[[nn.RNNBase, torch.Tensor, State | None, torch.Tensor | None, str], tuple[torch.Tensor, State]]


def make_rnn(cell: str, input_size: int, hidden: int, layers: int, bidirectional: bool, dropout: float) -> nn.RNNBase:
    kwargs = dict(
        input_size=input_size,
        hidden_size=hidden,
        num_layers=layers,
        bidirectional=bidirectional,
        dropout=dropout if layers > 1 else 0.0,
        batch_first=True,
    )
    if cell == "lstm":
        return nn.LSTM(**kwargs)
    if cell == "gru":
        return nn.GRU(**kwargs)
    return nn.RNN(nonlinearity="relu" if cell == "rnn_relu" else "tanh", **kwargs)


def fused_runner(rnn: nn.RNNBase, x: torch.Tensor, h0: State | None, lengths: torch.Tensor | None, role: str):
    """Run the fused kernel; with lengths (on the host), pack so padding never enters the state.

    Packing wants the batch sorted by length. PyTorch's own sorting (enforce_sorted=False) sends its
    order to the GPU with a blocking copy and reads it back with .cpu() when unpacking: two waits for
    the GPU per call. The order is made here, on the host where the lengths are, sent without a wait,
    and undone on the device."""
    if lengths is None:
        return rnn(x, h0)
    lengths, order = torch.sort(lengths, descending=True)  # host tensors: no device read
    order_on, undo_on = move(order, x.device), move(torch.argsort(order), x.device)
    packed = pack_padded_sequence(x.index_select(0, order_on), lengths, batch_first=True)
    out, h_n = rnn(packed, _batch_order(h0, order_on))
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    return out.index_select(0, undo_on), _batch_order(h_n, undo_on)


def _batch_order(h: State | None, order: torch.Tensor) -> State | None:
    """A state (L*D, B, H), or LSTM's pair, with its batch in `order`."""
    if h is None:
        return None
    if isinstance(h, tuple):
        return tuple(t.index_select(1, order) for t in h)
    return h.index_select(1, order)


def cell_of(rnn: nn.RNNBase) -> str:
    if isinstance(rnn, nn.LSTM):
        return "lstm"
    if isinstance(rnn, nn.GRU):
        return "gru"
    return "rnn_relu" if rnn.nonlinearity == "relu" else "rnn_tanh"


class SequenceModel(nn.Module):
    def __init__(self, spec: ModelSpec, task: Task) -> None:
        super().__init__()
        self.spec = spec
        self.output_kind = task.output_kind
        self.pattern = spec.pattern
        h, e, layers = spec.hidden_size, spec.embedding_dim, spec.num_layers
        self.num_directions = 2 if spec.bidirectional else 1
        d = self.num_directions

        if task.input_kind is InputKind.TOKENS:
            assert task.in_vocab is not None
            self.embed: nn.Module = nn.Embedding(len(task.in_vocab), e, padding_idx=task.in_vocab.pad)
        else:
            self.embed = nn.Linear(task.input_dim, e)
        out_size = self.out_size = task.n_out

        if self.pattern in ("many_to_many", "many_to_one"):
            self.rnn = make_rnn(spec.cell, e, h, layers, spec.bidirectional, spec.dropout)
            self.head = nn.Linear(d * h, out_size)
        elif self.pattern == "one_to_many":
            # The one input sets the generator's initial state (the captioning shape).
            assert task.out_vocab is not None
            self.init_state = nn.Linear(e, layers * h)
            self.dec_embed = nn.Embedding(out_size, e)
            self.rnn = make_rnn(spec.cell, e, h, layers, False, spec.dropout)
            self.head = nn.Linear(h, out_size)
        else:  # encoder_decoder
            assert task.out_vocab is not None
            self.rnn = make_rnn(spec.cell, e, h, layers, spec.bidirectional, spec.dropout)
            self.dec_embed = nn.Embedding(out_size, e)
            self.decoder = make_rnn(spec.cell, e, h, layers, False, spec.dropout)
            if spec.bidirectional:
                # Both directions' final states are merged into the decoder's initial state.
                self.bridge = nn.Linear(2 * h, h)
                if spec.cell == "lstm":
                    self.bridge_c = nn.Linear(2 * h, h)
            if spec.attention != "none":
                self.attention = Attention(spec.attention, d * h, h)
            self.head = nn.Linear(h, out_size)
        self.bos = task.out_vocab.bos if task.out_vocab is not None else None
        self.eos = task.out_vocab.eos if task.out_vocab is not None else None
        self._init_recurrent(spec)

    # ---- initialisation ----------------------------------------------------------------------
    def _init_recurrent(self, spec: ModelSpec) -> None:
        for rnn in self.recurrent_modules().values():
            hsz = rnn.hidden_size
            with torch.no_grad():
                for name, param in rnn.named_parameters():
                    if name.startswith("weight_hh") and spec.recurrent_init_scale != 1.0:
                        param.mul_(spec.recurrent_init_scale)
                    if isinstance(rnn, nn.LSTM) and name.startswith("bias_"):
                        # Gate order i, f, g, o: the two biases add, so put forget_bias in one.
                        value = spec.forget_bias if name.startswith("bias_ih") else 0.0
                        param[hsz : 2 * hsz].fill_(value)

    def recurrent_modules(self) -> dict[str, nn.RNNBase]:
        mods = {"rnn": self.rnn}
        if self.pattern == "encoder_decoder":
            mods["decoder"] = self.decoder
        return mods

    def param_count(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def layer_groups(self) -> list[tuple[str, list[nn.Parameter]]]:
        """Parameters grouped for per-layer gradient norms: input, each recurrent layer, output."""
        groups: dict[str, list[nn.Parameter]] = {}
        for name, p in self.named_parameters():
            m = re.match(r"(rnn|decoder)\.\w+_l(\d+)", name)
            if m:
                part = "enc" if (self.pattern == "encoder_decoder" and m.group(1) == "rnn") else ""
                part = "dec" if m.group(1) == "decoder" else part
                label = layer_label(int(m.group(2)), part=part)
            elif name.startswith(("embed", "dec_embed", "init_state")):
                label = "input"
            else:
                label = "output"
            groups.setdefault(label, []).append(p)
        order = sorted(groups, key=lambda k: (k != "input", k == "output", k))
        return [(k, groups[k]) for k in order]

    # ---- forward -----------------------------------------------------------------------------
    def forward(
        self,
        batch: Batch,
        runner: Runner | None = None,
        state: State | None = None,
        teacher_forcing: float = 1.0,
    ) -> torch.Tensor:
        out, _ = self.forward_with_state(batch, runner, state, teacher_forcing)
        return out

    def forward_with_state(
        self,
        batch: Batch,
        runner: Runner | None = None,
        state: State | None = None,
        teacher_forcing: float = 1.0,
    ) -> tuple[torch.Tensor, State]:
        run = runner or fused_runner
        if self.pattern == "many_to_many":
            seq, h_n = run(self.rnn, self.embed(batch.x), state, batch.lengths, "rnn")
            return self.head(seq), h_n  # (B, T, V)
        if self.pattern == "many_to_one":
            _, h_n = run(self.rnn, self.embed(batch.x), state, batch.lengths, "rnn")
            return self._squeeze(self.head(self.final_features(h_n))), h_n  # (B, V) or (B,)
        if self.pattern == "one_to_many":
            h0 = self.initial_from_one(batch.x)
            assert batch.y_in is not None
            return self._decode_teacher(self.rnn, h0, batch.y_in, run, teacher_forcing)
        h0, memory = self.encode(batch.x, batch.lengths, run)
        assert batch.y_in is not None
        return self._decode_teacher(self.decoder, h0, batch.y_in, run, teacher_forcing, memory)

    def _squeeze(self, out: torch.Tensor) -> torch.Tensor:
        return out.squeeze(-1) if self.output_kind is OutputKind.VALUES and self.out_size == 1 else out

    def final_features(self, h_n: State) -> torch.Tensor:
        """(B, D*H): last layer's forward state at the last step, backward state at the first."""
        h = h_n[0] if isinstance(h_n, tuple) else h_n
        if self.num_directions == 2:
            return torch.cat([h[-2], h[-1]], dim=-1)
        return h[-1]

    def initial_from_one(self, x: torch.Tensor) -> State:
        b = x.shape[0]
        layers, hsz = self.spec.num_layers, self.spec.hidden_size
        h0 = torch.tanh(self.init_state(self.embed(x))).view(b, layers, hsz).transpose(0, 1).contiguous()
        if self.spec.cell == "lstm":
            return (h0, torch.zeros_like(h0))
        return h0

    def encode(self, x: torch.Tensor, lengths: torch.Tensor | None, run: Runner) -> tuple[State, Memory | None]:
        """The decoder's initial state (L, B, H) from the encoder's final state, and what attention
        reads (every encoder output), or None without attention."""
        seq, h_n = run(self.rnn, self.embed(x), None, lengths, "rnn")
        return self.bridge_state(h_n), self.memory(seq, lengths)

    def memory(self, outputs: torch.Tensor, lengths: torch.Tensor | None) -> Memory | None:
        """Encoder outputs (B, S, D*H) as attention reads them, or None for a network without it."""
        if self.spec.attention == "none" or self.pattern != "encoder_decoder":
            return None
        return Memory(outputs, source_mask(lengths, outputs.shape[1], outputs.device))

    def read_out(self, seq: torch.Tensor, memory: Memory | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Decoder states (B, U, H) → logits (B, U, V), through attention when the network has it;
        also the attention weights (B, U, S), or None."""
        if memory is None:
            return self.head(seq), None
        attended, weights = self.attention(seq, memory.outputs, memory.mask)
        return self.head(attended), weights

    def bridge_state(self, h_n: State) -> State:
        """Encoder final state (L*D, B, H) → decoder initial state (L, B, H)."""
        if self.num_directions == 1:
            return h_n
        layers = self.spec.num_layers

        def merge(t: torch.Tensor, proj: nn.Linear) -> torch.Tensor:
            t = t.view(layers, 2, t.shape[1], t.shape[2])  # (L, D, B, H)
            return torch.tanh(proj(torch.cat([t[:, 0], t[:, 1]], dim=-1)))

        if isinstance(h_n, tuple):
            return (merge(h_n[0], self.bridge), merge(h_n[1], self.bridge_c))
        return merge(h_n, self.bridge)

    def _decode_teacher(
        self, rnn: nn.RNNBase, h0: State, y_in: torch.Tensor, run: Runner, tf: float, memory: Memory | None = None
    ) -> tuple[torch.Tensor, State]:
        if tf >= 1.0 or not self.training:
            seq, h_n = run(rnn, self.dec_embed(y_in), h0, None, "decoder")
            return self.read_out(seq, memory)[0], h_n
        # Scheduled sampling: each step feeds the true previous token with probability `tf`.
        state, inp, outs = h0, y_in[:, :1], []
        for u in range(y_in.shape[1]):
            seq, state = run(rnn, self.dec_embed(inp), state, None, "decoder")
            logits = self.read_out(seq, memory)[0]
            outs.append(logits)
            if u + 1 < y_in.shape[1]:
                use_true = torch.rand(y_in.shape[0], 1, device=y_in.device) < tf
                inp = torch.where(use_true, y_in[:, u + 1 : u + 2], logits.argmax(-1))
        return torch.cat(outs, dim=1), state

    def loss(self, out: torch.Tensor, batch: Batch) -> torch.Tensor:
        if self.output_kind is OutputKind.VALUES:
            return F.mse_loss(out, batch.y)
        return F.cross_entropy(out.reshape(-1, out.shape[-1]), batch.y.reshape(-1), ignore_index=IGNORE)

    # ---- generation (one_to_many and encoder_decoder) ----------------------------------------
    @torch.no_grad()
    def generate(
        self, x: torch.Tensor, lengths: torch.Tensor | None, max_len: int, runner: Runner | None = None
    ) -> torch.Tensor:
        """Greedy decoding: (B, max_len) ids, EOS-padded after each sequence ends."""
        run = runner or fused_runner
        if self.pattern == "one_to_many":
            rnn, state, memory = self.rnn, self.initial_from_one(x), None
        else:
            rnn, (state, memory) = self.decoder, self.encode(x, lengths, run)
        return greedy(self, rnn, state, memory, max_len, run, x.shape[0]).ids
