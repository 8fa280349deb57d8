"""Reverse a string of letters: the task where an encoder-decoder's bottleneck shows.

The encoder reads 20–40 random letters; the decoder must write them backwards. Without attention
everything must pass through the encoder's final state, a fixed number of units, and the first
letters, which the decoder writes last, are the ones it has kept worst. With attention each output
step looks straight at the letter it needs: the weights form an anti-diagonal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rnntui.core.errors import SpecError
from rnntui.core.tasks.base import Param
from rnntui.core.tasks.data import IGNORE, Batch, Token, Vocab
from rnntui.core.tasks.kinds import Family
from rnntui.core.tasks.seq2seq import OUT_SPECIALS, GenerationTask

if TYPE_CHECKING:
    import torch
else:  # imported at its first use: the app reads this module without torch (core/lazy_torch.py)
    from rnntui.core.lazy_torch import torch

LETTERS = "abcdefghijklmnopqrstuvwxyz"


class ReverseTask(GenerationTask):
    name = "reverse"
    title = "a string of letters, written backwards"
    params = {
        "min_len": Param(int, 20, "fewest letters in a string", lo=1, hi=200),
        "max_len": Param(int, 40, "most letters in a string", lo=1, hi=200),
        "letters": Param(int, 26, "how many different letters (a, b, c, …)", lo=2, hi=26),
    }
    patterns = ("encoder_decoder",)
    family = Family.TRANSLATE
    prefix_hint = "type letters, e.g. attention (other characters are unknown)"
    separator = ""  # letters are written as they are

    @classmethod
    def max_length(cls, params: Mapping[str, Any]) -> int:
        return int(params["max_len"]) + 1  # the decoder's steps: every letter and the end

    def __init__(self, params: Mapping[str, Any] | None = None, state: Mapping[str, Any] | None = None):
        super().__init__(params, state)
        if self.p["min_len"] > self.p["max_len"]:
            raise SpecError("task.min_len must be at most task.max_len")
        alphabet = list(LETTERS[: self.p["letters"]])
        self.in_vocab = Vocab(alphabet, specials=(Vocab.PAD, Vocab.UNK))
        self.out_vocab = Vocab(alphabet, specials=OUT_SPECIALS)
        self.max_output = self.p["max_len"] + 1

    def make(self, g: torch.Generator, n: int) -> Batch:
        lo, hi, k = self.p["min_len"], self.p["max_len"], self.p["letters"]
        lengths = torch.randint(lo, hi + 1, (n,), generator=g)
        letters = torch.randint(0, k, (n, hi), generator=g)
        steps = torch.arange(hi).unsqueeze(0)
        real = steps < lengths.unsqueeze(1)  # (n, hi)
        in_first, out_first = self.in_vocab.stoi["a"], self.out_vocab.stoi["a"]
        x = torch.where(real, letters + in_first, self.in_vocab.pad)
        # Reversed: output step u is input step length-1-u.
        back = (lengths.unsqueeze(1) - 1 - steps).clamp_min(0)
        rev = torch.gather(letters, 1, back) + out_first
        y = torch.cat([torch.where(real, rev, IGNORE), torch.full((n, 1), IGNORE)], dim=1)
        y[torch.arange(n), lengths] = self.out_vocab.eos  # the end right after the last letter
        bos = torch.full((n, 1), self.out_vocab.bos)
        y_in = torch.cat([bos, torch.where(real, rev, self.out_vocab.pad)], dim=1)
        return Batch(x=x, y=y, lengths=lengths, y_in=y_in)

    def train_batch(self, step: int, batch_size: int, seed: int) -> Batch:
        return self.make(self.generator(seed, step), batch_size)

    def val_batches(self, batch_size: int) -> list[Batch]:
        g = self.generator(424242, 0, salt=11)  # strings never drawn in training (26^20 of them)
        return [self.make(g, batch_size) for _ in range(max(1, 512 // batch_size))]

    def tokenize(self, text: str) -> list[Token]:
        """One token per letter; whitespace is skipped, anything else is unknown."""
        assert self.in_vocab is not None
        out = []
        for i, ch in enumerate(text):
            if ch.isspace():
                continue
            tid = self.in_vocab.stoi.get(ch.lower())
            out.append(Token(ch, i, i + 1, id=self.in_vocab.unk if tid is None else tid, unknown=tid is None))
        return out

    def prefix_reading(self) -> dict[str, Any]:
        assert self.in_vocab is not None
        return {"kind": "letters", "vocab": self.in_vocab.itos, "unk": self.in_vocab.unk}
