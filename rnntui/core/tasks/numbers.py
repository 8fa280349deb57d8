"""Number sequences (arithmetic and geometric): predict the next number, e.g. `2 4 8` → `16`.

Each number is one token, so the network cannot do arithmetic on digits: it must remember the
last two numbers it saw and recall which rule links them. Sequences are split into training and
held-out sets by identity (start, rule, step), so validation sequences were never trained on.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rnntui.core.lazy_torch import no_grad
from rnntui.core.tasks.base import Metrics, Param, Task
from rnntui.core.tasks.data import IGNORE, Batch, Token, Vocab, pad_sequences
from rnntui.core.tasks.kinds import Family
from rnntui.core.tasks.rescan import Rescan

if TYPE_CHECKING:
    import torch

    from rnntui.core.model import SequenceModel
else:  # imported at its first use: the app reads this module without torch (core/lazy_torch.py)
    from rnntui.core.lazy_torch import torch

NUMBER = re.compile(r"-?\d+")
SEPARATED = re.compile(r"\S+")  # a typed number and what sticks to it ("8,")


def all_sequences(max_value: int, length: int, max_start: int = 40, max_step: int = 10) -> list[tuple[int, ...]]:
    seqs: list[tuple[int, ...]] = []
    for a in range(0, max_start + 1):
        for d in range(1, max_step + 1):
            seqs.append(tuple(a + d * i for i in range(length)))
    for a in range(1, 13):
        for r in (2, 3):
            s = [a]
            while len(s) < length and s[-1] * r <= max_value:
                s.append(s[-1] * r)
            if len(s) >= 4:
                seqs.append(tuple(s))
    return seqs


class NumberSequenceTask(Task):
    name = "number_sequences"
    title = "next number in a sequence"
    params = {
        "length": Param(int, 8, "numbers per sequence (geometric ones stop at max_value)", lo=4, hi=64),
        "max_value": Param(int, 2048, "largest number in any sequence", lo=1, hi=1_000_000),
        "geometric_share": Param(float, 0.4, "fraction of training sequences that are geometric", lo=0, hi=1),
        "max_start": Param(int, 40, "arithmetic sequences start at 0..max_start", lo=0, hi=1000),
        "max_step": Param(int, 10, "arithmetic sequences step by 1..max_step", lo=1, hi=100),
    }
    patterns = ("many_to_many",)
    family = Family.NEXT_TOKEN
    metric_name = "accuracy"
    prefix_hint = "type numbers separated by spaces, e.g. 2 4 8"

    @classmethod
    def io_bounds(cls, params: Mapping[str, Any]) -> tuple[int, int]:
        # Distinct numbers: arithmetic ones below max_start + max_step * length, geometric ones 24 a position.
        n = params["max_start"] + params["max_step"] * params["length"] + 24 * params["length"] + 3
        return n, n

    @classmethod
    def max_length(cls, params: Mapping[str, Any]) -> int:
        return int(params["length"])

    def __init__(self, params: Mapping[str, Any] | None = None, state: Mapping[str, Any] | None = None):
        super().__init__(params, state)
        self._rescan = Rescan(self._scan)
        seqs = all_sequences(self.p["max_value"], self.p["length"], self.p["max_start"], self.p["max_step"])
        numbers = sorted({n for s in seqs for n in s})
        self.in_vocab = self.out_vocab = Vocab([str(n) for n in numbers], specials=(Vocab.PAD, Vocab.UNK))
        rng = random.Random(2024)
        order = list(range(len(seqs)))
        rng.shuffle(order)
        n_val = max(1, len(seqs) // 10)
        val_ids = set(order[:n_val])
        self.train_seqs = [s for i, s in enumerate(seqs) if i not in val_ids]
        self.val_seqs = [s for i, s in enumerate(seqs) if i in val_ids]
        self._train = self._tensors(self.train_seqs)
        # Arithmetic sequences have a constant difference; geometric ones do not.
        self._geo = torch.tensor([s[2] - s[1] != s[1] - s[0] for s in self.train_seqs])

    def _tensors(self, seqs: Sequence[tuple[int, ...]]) -> tuple[torch.Tensor, torch.Tensor]:
        ids = [[self.in_vocab.stoi[str(n)] for n in s] for s in seqs]
        x, _ = pad_sequences([s[:-1] for s in ids], self.in_vocab.pad)
        y, _ = pad_sequences([s[1:] for s in ids], IGNORE)
        return x, y

    def train_batch(self, step: int, batch_size: int, seed: int) -> Batch:
        g = self.generator(seed, step)
        x, y = self._train
        geo = torch.nonzero(self._geo).squeeze(1)
        ari = torch.nonzero(~self._geo).squeeze(1)
        is_geo = torch.rand(batch_size, generator=g) < self.p["geometric_share"]
        pick_ari = ari[torch.randint(len(ari), (batch_size,), generator=g)]
        if len(geo) == 0:  # max_value too small for any geometric sequence of four numbers
            return Batch(x=x[pick_ari], y=y[pick_ari])
        pick_geo = geo[torch.randint(len(geo), (batch_size,), generator=g)]
        pick = torch.where(is_geo, pick_geo, pick_ari)
        return Batch(x=x[pick], y=y[pick])

    def val_batches(self, batch_size: int) -> list[Batch]:
        x, y = self._tensors(self.val_seqs)
        return [Batch(x=x[i : i + batch_size], y=y[i : i + batch_size]) for i in range(0, len(x), batch_size)]

    def prefix_reading(self) -> dict[str, Any]:
        assert self.in_vocab is not None
        return {"kind": "numbers", "vocab": self.in_vocab.itos, "unk": self.in_vocab.unk}

    def tokenize(self, text: str) -> list[Token]:
        return self._rescan(text)  # from where the text changed (tasks/rescan.py)

    def _scan(self, text: str, pos: int) -> list[Token]:
        assert self.in_vocab is not None
        out = []
        for m in SEPARATED.finditer(text, pos):
            word = m.group().strip(",;")
            tid = self.in_vocab.stoi.get(word) if NUMBER.fullmatch(word) else None
            out.append(
                Token(word, m.start(), m.end(), id=self.in_vocab.unk if tid is None else tid, unknown=tid is None)
            )
        return out

    @no_grad
    def evaluate(self, model: SequenceModel, batches: Sequence[Batch]) -> Metrics:
        """Accuracy counts predictions made after at least three numbers (before, the rule is open)."""
        base = super().evaluate(model, batches)
        device = next(model.parameters()).device
        correct = counted = 0
        for b in batches:
            b = b.to(device)
            pred = model(b).argmax(-1)[:, 2:]
            tgt = b.y[:, 2:]
            mask = tgt != IGNORE
            correct += int((pred.eq(tgt) & mask).sum())
            counted += int(mask.sum())
        acc = correct / max(1, counted)
        unk = self.in_vocab.unk
        x = torch.tensor([[self.in_vocab.stoi.get(s, unk) for s in ("2", "4", "8")]], device=device)
        top = self.in_vocab.itos[int(model(Batch(x=x, y=x))[0, -1].argmax())]
        extras = {"accuracy": acc, "all_positions_accuracy": base.metric, "2_4_8_gives_16": float(top == "16")}
        return Metrics(val_loss=base.val_loss, metric=acc, extras=extras)
