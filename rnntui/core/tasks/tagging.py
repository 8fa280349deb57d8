"""Tagging: one label per word. Part-of-speech tags, and the river-bank sense lesson.

pos: words such as "saw", "watch", "duck" are nouns or verbs depending on where they stand, so the
tagger must use context. river_bank: "bank" is labelled by its sense, which only the words *after*
it reveal, so a unidirectional tagger can only guess at it and a bidirectional one can know.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rnntui.core.lazy_torch import no_grad
from rnntui.core.tasks.base import Metrics, Param
from rnntui.core.tasks.data import IGNORE, Batch, Vocab
from rnntui.core.tasks.kinds import Family
from rnntui.core.tasks.words import Pool, PoolTask, is_held_out, tagging_pool, vocab_of

if TYPE_CHECKING:
    pass
else:  # imported at its first use: the app reads this module without torch (core/lazy_torch.py)
    pass

if TYPE_CHECKING:
    from rnntui.core.model import SequenceModel

DETS = ("the", "a", "my", "his", "every")
ADJS = ("old", "small", "red", "quiet", "happy", "green")
NOUNS = ("man", "dog", "girl", "cat", "teacher", "bird", "farmer", "child")
VERBS = ("sees", "likes", "finds", "helps", "follows", "calls")
# Words that are nouns after a determiner and verbs after a subject.
AMBIGUOUS_NOUN = ("saw", "watch", "duck", "fly", "book", "park", "train")
AMBIGUOUS_VERB = ("saw", "watch", "duck", "fly", "book", "park", "train")
PREPS = ("near", "with", "under", "behind")


def pos_sentences(n: int, seed: int) -> list[tuple[list[str], list[str]]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        ws: list[str] = []
        ts: list[str] = []

        def noun_phrase(ws: list[str] = ws, ts: list[str] = ts) -> None:
            ws.append(rng.choice(DETS))
            ts.append("DET")
            if rng.random() < 0.4:
                ws.append(rng.choice(ADJS))
                ts.append("ADJ")
            ws.append(rng.choice(NOUNS + AMBIGUOUS_NOUN))
            ts.append("NOUN")

        noun_phrase()
        ws.append(rng.choice(VERBS + AMBIGUOUS_VERB))
        ts.append("VERB")
        noun_phrase()
        if rng.random() < 0.4:
            ws.append(rng.choice(PREPS))
            ts.append("ADP")
            noun_phrase()
        out.append((ws, ts))
    return out


PRE_BANK = (
    "yesterday we went to",
    "she looked at",
    "they walked along",
    "he stood by",
    "i saw",
    "we talked about",
    "everyone knows",
    "the children ran to",
    "my father visited",
)
RIVER_AFTER = (
    "of the river",
    "where the ducks swim",
    "covered in reeds",
    "by the water",
    "near the old mill stream",
    "that flooded in spring",
    "with muddy grass",
)
MONEY_AFTER = (
    "that lends money",
    "with its new branch",
    "where i keep my savings",
    "that raised its rates",
    "which approved the loan",
    "with a cash machine",
    "that closed my account",
)


def bank_sentences() -> list[tuple[list[str], list[str]]]:
    out = []
    for pre, det in itertools.product(PRE_BANK, ("the", "a", "that")):
        for after, sense in [(a, "RIVER") for a in RIVER_AFTER] + [(a, "MONEY") for a in MONEY_AFTER]:
            ws = pre.split() + [det, "bank"] + after.split()
            ts = ["O"] * len(ws)
            ts[len(pre.split()) + 1] = sense
            out.append((ws, ts))
    return out


class TaggingTask(PoolTask):
    """Base for tagging tasks: subclasses provide `examples()`."""

    patterns = ("many_to_many",)
    family = Family.TAGS
    metric_name = "accuracy"
    prefix_hint = "type a sentence; each word gets a tag"
    tags: ClassVar[tuple[str, ...]] = ()

    def __init__(self, params: Mapping[str, Any] | None = None, state: Mapping[str, Any] | None = None):
        super().__init__(params, state)
        self.data = self.examples()
        self.in_vocab = vocab_of((ws for ws, _ in self.data), (Vocab.PAD, Vocab.UNK))
        self.out_vocab = Vocab(self.tags)

    def make_pools(self) -> tuple[Pool, Pool]:
        train = [e for e in self.data if not is_held_out(" ".join(e[0]), 0.15)]
        val = [e for e in self.data if is_held_out(" ".join(e[0]), 0.15)]
        return (
            tagging_pool(train, self.in_vocab, self.out_vocab),
            tagging_pool(val[:2000], self.in_vocab, self.out_vocab),
        )

    def examples(self) -> list[tuple[list[str], list[str]]]:
        raise NotImplementedError


class PosTask(TaggingTask):
    name = "pos_tagging"
    title = "part-of-speech tagging"
    params = {"sentences": Param(int, 6000, "generated sentences (15 % held out)", lo=100, hi=200_000)}
    tags = ("DET", "ADJ", "NOUN", "VERB", "ADP")

    def examples(self) -> list[tuple[list[str], list[str]]]:
        seen: dict[str, tuple[list[str], list[str]]] = {}
        for ws, ts in pos_sentences(self.p["sentences"], seed=11):
            seen.setdefault(" ".join(ws), (ws, ts))
        return list(seen.values())


class RiverBankTask(TaggingTask):
    name = "river_bank"
    title = "which bank? the words after it decide"
    params: ClassVar[dict[str, Param]] = {}
    tags = ("O", "RIVER", "MONEY")
    metric_name = "bank_accuracy"

    @no_grad
    def evaluate(self, model: SequenceModel, batches: Sequence[Batch]) -> Metrics:
        m = super().evaluate(model, batches)
        device = next(model.parameters()).device
        o = self.out_vocab.stoi["O"]
        right = total = 0
        for b in batches:
            b = b.to(device)
            pred = model(b).argmax(-1)
            sense = (b.y != IGNORE) & (b.y != o)
            right += int((pred.eq(b.y) & sense).sum())
            total += int(sense.sum())
        acc = right / max(1, total)
        return Metrics(m.val_loss, acc, {"bank_accuracy": acc, "token_accuracy": m.metric})

    def examples(self) -> list[tuple[list[str], list[str]]]:
        return bank_sentences()
