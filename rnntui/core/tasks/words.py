"""Shared machinery for tasks over generated sentences: word tokens, pools, a held-out split.

A pool is every example turned into padded tensors once; a batch is a seeded index into it, so
batch generation costs one gather. The split is by sentence identity (a hash), so a held-out
sentence never appears in training.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rnntui.core.errors import SpecError
from rnntui.core.lazy_torch import no_grad
from rnntui.core.tasks.base import Task
from rnntui.core.tasks.data import IGNORE, Batch, Token, Vocab, pad_sequences
from rnntui.core.tasks.rescan import Rescan

if TYPE_CHECKING:
    import torch
else:  # imported at its first use: the app reads this module without torch (core/lazy_torch.py)
    from rnntui.core.lazy_torch import torch

WORD = re.compile(r"[\w'áéíóúñü]+|[^\w\s]")


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def is_held_out(sentence: str, share: float = 0.1) -> bool:
    return (zlib.crc32(sentence.encode("utf-8")) % 1000) < share * 1000


def word_tokens(text: str, vocab: Vocab, pos: int = 0) -> list[Token]:
    """The words and marks of `text` from `pos` on (offsets stay the text's own)."""
    out = []
    for m in WORD.finditer(text, pos):
        w = m.group().lower()
        tid = vocab.stoi.get(w)
        out.append(Token(m.group(), m.start(), m.end(), id=vocab.unk if tid is None else tid, unknown=tid is None))
    return out


def vocab_of(sentences: Iterable[Sequence[str]], specials: Sequence[str]) -> Vocab:
    seen: dict[str, None] = {}
    for s in sentences:
        for w in s:
            seen.setdefault(w, None)
    return Vocab(sorted(seen), specials=specials)


class Pool:
    """Tensors for a list of examples; `take(g, n)` draws a seeded batch."""

    def __init__(
        self, x: torch.Tensor, y: torch.Tensor, lengths: torch.Tensor | None, y_in: torch.Tensor | None = None
    ):
        self.x, self.y, self.lengths, self.y_in = x, y, lengths, y_in

    def __len__(self) -> int:
        return self.x.shape[0]

    def batch(self, idx: torch.Tensor) -> Batch:
        lengths = None if self.lengths is None else self.lengths[idx]
        x, y = self.x[idx], self.y[idx]
        y_in = None if self.y_in is None else self.y_in[idx]
        if lengths is not None and x.dim() == 2:
            # Trim to the longest sequence in this batch: less padding, less work.
            width = int(lengths.max())
            x = x[:, :width]
            if y.dim() == 2 and y_in is None:
                y = y[:, :width]
        return Batch(x=x, y=y, lengths=lengths, y_in=y_in)

    def take(self, g: torch.Generator, n: int) -> Batch:
        return self.batch(torch.randint(len(self), (n,), generator=g))

    def chunks(self, n: int) -> list[Batch]:
        return [self.batch(torch.arange(i, min(i + n, len(self)))) for i in range(0, len(self), n)]


def check_pools(name: str, train: Pool, val: Pool) -> None:
    """Settings that leave no training or no held-out example cannot train or be evaluated."""
    if len(train) == 0 or len(val) == 0:
        part = "training" if len(train) == 0 else "held-out"
        raise SpecError(f"task {name!r} with these settings has no {part} examples; use the defaults")


def tagging_pool(examples: Sequence[tuple[Sequence[str], Sequence[str]]], in_vocab: Vocab, out_vocab: Vocab) -> Pool:
    x, lengths = pad_sequences([[in_vocab.stoi[w] for w in ws] for ws, _ in examples], in_vocab.pad)
    y, _ = pad_sequences([[out_vocab.stoi[t] for t in ts] for _, ts in examples], IGNORE)
    return Pool(x, y, lengths)


def classify_pool(examples: Sequence[tuple[Sequence[str], str]], in_vocab: Vocab, labels: Vocab) -> Pool:
    x, lengths = pad_sequences([[in_vocab.stoi[w] for w in ws] for ws, _ in examples], in_vocab.pad)
    y = torch.tensor([labels.stoi[label] for _, label in examples], dtype=torch.long)
    return Pool(x, y, lengths)


def decoder_targets(seqs: Sequence[Sequence[str]], out_vocab: Vocab) -> tuple[torch.Tensor, torch.Tensor]:
    """Targets (with EOS, IGNORE-padded) and decoder inputs (BOS + shifted, PAD-padded)."""
    stoi, eos, bos = out_vocab.stoi, out_vocab.eos, out_vocab.bos
    ids = [[stoi[w] for w in s] + [eos] for s in seqs]
    y, _ = pad_sequences(ids, IGNORE)
    y_in, _ = pad_sequences([[bos] + s[:-1] for s in ids], out_vocab.pad)
    return y, y_in


class PoolTask(Task):
    """A task whose examples are pools (`train_pool`, `val_pool`) of word sequences, made by
    `make_pools` when first read (`load_data` reads them now). Training reads them before its first
    step (build_task makes them at once); a task rebuilt from a checkpoint's vocabulary for reading
    prefixes (the app's predictor) never does: it made translate's 40,000 pairs a second time."""

    _pools: tuple[Pool, Pool] | None = None
    _rescan: Rescan | None = None  # tokenize's, made at its first call (the vocabulary is known then)

    def make_pools(self) -> tuple[Pool, Pool]:
        """The training and the held-out pool (a subclass that has pools makes them here; one that
        makes its batches otherwise, such as reverse, has none)."""
        raise NotImplementedError

    def pools(self) -> tuple[Pool, Pool]:
        if self._pools is None:
            pools = self.make_pools()
            check_pools(self.name, *pools)
            self._pools = pools
        return self._pools

    @property
    def train_pool(self) -> Pool:
        return self.pools()[0]

    @property
    def val_pool(self) -> Pool:
        return self.pools()[1]

    def load_data(self) -> None:
        if type(self).make_pools is not PoolTask.make_pools:
            self.pools()

    def train_batch(self, step: int, batch_size: int, seed: int) -> Batch:
        return self.train_pool.take(self.generator(seed, step), batch_size)

    def val_batches(self, batch_size: int) -> list[Batch]:
        return self.val_pool.chunks(batch_size)

    def prefix_reading(self) -> dict[str, Any]:
        assert self.in_vocab is not None
        return {"kind": "words", "vocab": self.in_vocab.itos, "unk": self.in_vocab.unk}

    def tokenize(self, text: str) -> list[Token]:
        if self._rescan is None:
            self._rescan = Rescan(self._scan_words)
        return self._rescan(text)  # from where the text changed (tasks/rescan.py)

    def _scan_words(self, text: str, pos: int) -> list[Token]:
        assert self.in_vocab is not None
        return word_tokens(text, self.in_vocab, pos)

    @no_grad
    def val_correct(self, model: torch.nn.Module, batches: Sequence[Batch]) -> torch.Tensor:
        """Per held-out example, whether a many-to-one model's class is right (for subset accuracies)."""
        device = next(model.parameters()).device
        preds = torch.cat([model(b.to(device)).argmax(-1).cpu() for b in batches])
        return preds.eq(self.val_pool.y)
