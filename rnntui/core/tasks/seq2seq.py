"""Tasks with a generated output sequence: toy English → Spanish (encoder-decoder) and
spelling out a number (one-to-many, the captioning shape: one input, a sequence out).
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rnntui.core.lazy_torch import no_grad
from rnntui.core.tasks.base import Metrics, Param
from rnntui.core.tasks.data import IGNORE, Batch, Token, Vocab, concat_padded, exact_match, padded
from rnntui.core.tasks.kinds import Family, InputKind, OutputKind
from rnntui.core.tasks.words import Pool, PoolTask, decoder_targets, is_held_out, vocab_of

if TYPE_CHECKING:
    import torch

    from rnntui.core.model import SequenceModel
else:  # imported at its first use: the app reads this module without torch (core/lazy_torch.py)
    from rnntui.core.lazy_torch import torch

OUT_SPECIALS = (Vocab.PAD, Vocab.UNK, Vocab.BOS, Vocab.EOS)


class GenerationTask(PoolTask):
    """Shared evaluation: teacher-forced loss, and exact match of greedy decoding."""

    output_kind = OutputKind.CLASSES
    metric_name = "exact_match"

    @no_grad
    def evaluate(self, model: SequenceModel, batches: Sequence[Batch]) -> Metrics:
        m = super().evaluate(model, batches)
        device = next(model.parameters()).device
        hits = total = 0
        for b in batches:
            b = b.to(device)
            pred = model.generate(b.x, b.lengths, max_len=b.y.shape[1] + 2)
            hits += int(exact_match(pred.cpu(), b.y.cpu(), self.out_vocab.eos).sum())
            total += b.y.shape[0]
        em = hits / max(1, total)
        return Metrics(m.val_loss, em, {"exact_match": em, "token_accuracy": m.metric})


# ---- English → Spanish -------------------------------------------------------------------------
NOUNS = {
    "cat": ("gato", "m"),
    "dog": ("perro", "m"),
    "boy": ("niño", "m"),
    "girl": ("niña", "f"),
    "house": ("casa", "f"),
    "apple": ("manzana", "f"),
    "book": ("libro", "m"),
    "table": ("mesa", "f"),
    "bird": ("pájaro", "m"),
    "car": ("coche", "m"),
    "flower": ("flor", "f"),
    "woman": ("mujer", "f"),
}
ADJECTIVES = {
    "red": ("rojo", "roja"),
    "black": ("negro", "negra"),
    "small": ("pequeño", "pequeña"),
    "white": ("blanco", "blanca"),
    "new": ("nuevo", "nueva"),
    "old": ("viejo", "vieja"),
}
VERBS = {"sees": "ve", "has": "tiene", "wants": "quiere", "buys": "compra", "finds": "encuentra"}
DETERMINERS = {"the": ("el", "la"), "a": ("un", "una")}


def noun_phrase(det: str, adj: str | None, noun: str) -> tuple[list[str], list[str]]:
    es_noun, gender = NOUNS[noun]
    g = 0 if gender == "m" else 1
    en = [det] + ([adj] if adj else []) + [noun]
    # Spanish puts the adjective after the noun, and both agree in gender.
    es = [DETERMINERS[det][g], es_noun] + ([ADJECTIVES[adj][g]] if adj else [])
    return en, es


def phrases() -> list[tuple[list[str], list[str]]]:
    return [noun_phrase(d, a, n) for d, a, n in itertools.product(DETERMINERS, [None, *ADJECTIVES], NOUNS)]


VAL_PAIRS = 1000


class Grammar:
    """Every sentence pair the grammar allows, subject phrase × verb × object phrase (141,120), by
    number, in that order; none is made as words: a pool is its pairs' ids, assembled from the
    phrases' ids as tensors (making every pair as lists of words, then ids, took 1.8 s)."""

    def __init__(self) -> None:
        self.phrases, self.verbs = phrases(), list(VERBS)

    def __len__(self) -> int:
        return len(self.phrases) ** 2 * len(self.verbs)

    def words(self) -> tuple[list[list[str]], list[list[str]]]:
        """Every English and every Spanish word, as the sentences have them (for the vocabularies)."""
        return [p[0] for p in self.phrases] + [self.verbs], [p[1] for p in self.phrases] + [list(VERBS.values())]

    def split(self, held_out: float, train_pairs: int) -> tuple[list[int], list[int]]:
        """The pairs in a seeded order, the held-out ones (by the English sentence's hash, as
        `is_held_out`) up to VAL_PAIRS, the others up to `train_pairs`."""
        order = torch.randperm(len(self), generator=torch.Generator().manual_seed(5)).tolist()
        n_phrases, n_verbs = len(self.phrases), len(self.verbs)
        english = [" ".join(en) for en, _ in self.phrases]
        # The hash of "subject verb object", from that of "subject verb " (crc32 runs on).
        heads = [[zlib.crc32(f"{s} {v} ".encode()) for v in self.verbs] for s in english]
        tails = [o.encode() for o in english]
        train: list[int] = []
        val: list[int] = []
        for i in order:
            subject, rest = divmod(i, n_verbs * n_phrases)
            verb, obj = divmod(rest, n_phrases)
            if zlib.crc32(tails[obj], heads[subject][verb]) % 1000 < held_out * 1000:
                if len(val) < VAL_PAIRS:
                    val.append(i)
            elif len(train) < train_pairs:
                train.append(i)
            if len(val) >= VAL_PAIRS and len(train) >= train_pairs:
                break  # (the rest of the order adds nothing)
        return train, val

    def pool(self, pairs: Sequence[int], in_vocab: Vocab, out_vocab: Vocab) -> Pool:
        """The pairs' English ids, Spanish targets (with EOS) and decoder inputs (BOS first)."""
        idx = torch.tensor(pairs, dtype=torch.long)
        n_phrases = len(self.phrases)
        subject, verb, obj = idx // (len(self.verbs) * n_phrases), idx // n_phrases % len(self.verbs), idx % n_phrases
        en, en_n = padded([[in_vocab.stoi[w] for w in en] for en, _ in self.phrases])
        es, es_n = padded([[out_vocab.stoi[w] for w in es] for _, es in self.phrases])
        verb_en = torch.tensor([[in_vocab.stoi[v]] for v in self.verbs])[verb]
        verb_es = torch.tensor([[out_vocab.stoi[VERBS[v]]] for v in self.verbs])[verb]
        one = torch.ones(len(idx), dtype=torch.long)
        x, lengths = concat_padded([(en[subject], en_n[subject]), (verb_en, one), (en[obj], en_n[obj])], in_vocab.pad)
        words = [(es[subject], es_n[subject]), (verb_es, one), (es[obj], es_n[obj])]
        eos, bos = torch.full((len(idx), 1), out_vocab.eos), torch.full((len(idx), 1), out_vocab.bos)
        y, _ = concat_padded([*words, (eos, one)], IGNORE)
        y_in, _ = concat_padded([(bos, one), *words], out_vocab.pad)
        return Pool(x, y, lengths, y_in)


class TranslateTask(GenerationTask):
    name = "translate"
    title = "toy English → Spanish"
    params = {
        "held_out": Param(float, 0.05, "share of sentence pairs kept for validation", lo=0.01, hi=0.9),
        "train_pairs": Param(int, 40000, "training pairs sampled from all the grammar allows", lo=1, hi=200_000),
    }
    patterns = ("encoder_decoder",)
    family = Family.TRANSLATE
    prefix_hint = "type English, e.g. the black cat sees a red apple"

    def __init__(self, params: Mapping[str, Any] | None = None, state: Mapping[str, Any] | None = None):
        super().__init__(params, state)
        self.grammar = Grammar()
        english, spanish = self.grammar.words()
        self.in_vocab = vocab_of(english, (Vocab.PAD, Vocab.UNK))
        self.out_vocab = vocab_of(spanish, OUT_SPECIALS)

    def make_pools(self) -> tuple[Pool, Pool]:
        train, val = self.grammar.split(self.p["held_out"], self.p["train_pairs"])
        make = self.grammar.pool
        return make(train, self.in_vocab, self.out_vocab), make(val, self.in_vocab, self.out_vocab)


# ---- spell a number ----------------------------------------------------------------------------
ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def spell(n: int) -> list[str]:
    if n < 20:
        return [ONES[n]]
    if n < 100:
        return [TENS[n // 10]] + ([ONES[n % 10]] if n % 10 else [])
    rest = spell(n % 100) if n % 100 else []
    return [ONES[n // 100], "hundred"] + rest


def digit_features(n: int) -> list[float]:
    """Three one-hot digits (hundreds, tens, ones): 30 numbers that make the one input."""
    feats = [0.0] * 30
    for pos, d in enumerate(f"{n:03d}"):
        feats[pos * 10 + int(d)] = 1.0
    return feats


class SpellNumberTask(GenerationTask):
    name = "spell_number"
    title = "a number in, its words out"
    params = {"held_out": Param(float, 0.1, "share of numbers kept for validation", lo=0.01, hi=0.9)}
    patterns = ("one_to_many",)
    input_kind = InputKind.VECTORS
    family = Family.GENERATE
    input_dim = 30
    prefix_hint = "type a number from 0 to 999"

    def __init__(self, params: Mapping[str, Any] | None = None, state: Mapping[str, Any] | None = None):
        super().__init__(params, state)
        self.out_vocab = vocab_of([spell(n) for n in range(1000)], OUT_SPECIALS)

    def make_pools(self) -> tuple[Pool, Pool]:
        train = [n for n in range(1000) if not is_held_out(f"n{n}", self.p["held_out"])]
        val = [n for n in range(1000) if is_held_out(f"n{n}", self.p["held_out"])]
        return self._pool(train), self._pool(val)

    def _pool(self, numbers: Sequence[int]) -> Pool:
        x = torch.tensor([digit_features(n) for n in numbers])
        y, y_in = decoder_targets([spell(n) for n in numbers], self.out_vocab)
        return Pool(x, y, None, y_in)

    def prefix_reading(self) -> dict[str, Any]:
        return {"kind": "digits3"}

    def tokenize(self, text: str) -> list[Token]:
        """The whole prefix is one input: a number 0–999 (anything else is marked unknown)."""
        stripped = text.strip()
        start = text.find(stripped) if stripped else 0
        # ASCII digits only: str.isdigit() also accepts "²" or "٣", which int() refuses or reads.
        ok = stripped.isascii() and stripped.isdigit() and int(stripped) < 1000
        value = tuple(digit_features(int(stripped))) if ok else tuple([0.0] * 30)
        return [Token(stripped, start, start + len(stripped), value=value, unknown=not ok)] if stripped else []
