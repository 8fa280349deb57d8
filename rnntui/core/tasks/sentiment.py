"""Sentiment with negation: order matters ("good, not bad" vs "bad, not good").

Many sentences come in pairs with exactly the same words and opposite labels, so a bag of words
cannot score above chance on them: the network has to read in order and remember the "not".
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rnntui.core.lazy_torch import no_grad
from rnntui.core.tasks.base import Metrics, Param
from rnntui.core.tasks.data import Batch, Vocab
from rnntui.core.tasks.kinds import Family
from rnntui.core.tasks.words import Pool, PoolTask, classify_pool, is_held_out, vocab_of, words

if TYPE_CHECKING:
    import torch

    from rnntui.core.model import SequenceModel
else:  # imported at its first use: the app reads this module without torch (core/lazy_torch.py)
    from rnntui.core.lazy_torch import torch

SUBJECTS = (
    "the movie",
    "this film",
    "the food",
    "the service",
    "my day",
    "the book",
    "that show",
    "the trip",
    "the hotel",
    "the game",
)
POSITIVE = ("good", "great", "fun", "lovely", "excellent", "nice", "wonderful")
NEGATIVE = ("bad", "awful", "boring", "terrible", "dull", "poor", "horrible")
INTENSIFIERS = ("", "really ", "very ", "quite ")
LABELS = ("negative", "positive")


def sentences() -> list[tuple[str, str, bool]]:
    """(sentence, label, negated) for every template combination."""
    out = []
    for subj, inten in itertools.product(SUBJECTS, INTENSIFIERS):
        for adj, label in [(a, "positive") for a in POSITIVE] + [(a, "negative") for a in NEGATIVE]:
            flip = "negative" if label == "positive" else "positive"
            out.append((f"{subj} was {inten}{adj}", label, False))
            out.append((f"{subj} was not {inten}{adj}", flip, True))
        for pos, neg in itertools.product(POSITIVE, NEGATIVE):
            # Same words, opposite meaning: only the order tells them apart.
            out.append((f"{subj} was {inten}{pos} , not {neg}", "positive", True))
            out.append((f"{subj} was {inten}{neg} , not {pos}", "negative", True))
    return out


class SentimentTask(PoolTask):
    name = "sentiment"
    title = "positive or negative, negation included"
    params = {"held_out": Param(float, 0.1, "share of sentences kept for validation", lo=0.01, hi=0.9)}
    patterns = ("many_to_one",)
    family = Family.CLASS
    metric_name = "accuracy"
    prefix_hint = "type a review, e.g. the movie was not bad"

    def __init__(self, params: Mapping[str, Any] | None = None, state: Mapping[str, Any] | None = None):
        super().__init__(params, state)
        self.data = sentences()
        self.in_vocab = vocab_of((words(s) for s, _, _ in self.data), (Vocab.PAD, Vocab.UNK))
        self.out_vocab = Vocab(LABELS)

    def make_pools(self) -> tuple[Pool, Pool]:
        train = [(words(s), lab) for s, lab, _ in self.data if not is_held_out(s, self.p["held_out"])]
        val = [(s, lab, neg) for s, lab, neg in self.data if is_held_out(s, self.p["held_out"])]
        self.val_negated = torch.tensor([neg for _, _, neg in val])
        return (
            classify_pool(train, self.in_vocab, self.out_vocab),
            classify_pool([(words(s), lab) for s, lab, _ in val], self.in_vocab, self.out_vocab),
        )

    @no_grad
    def evaluate(self, model: SequenceModel, batches: Sequence[Batch]) -> Metrics:
        m = super().evaluate(model, batches)
        right = self.val_correct(model, batches)
        neg = right[self.val_negated].float().mean().item() if self.val_negated.any() else float("nan")
        return Metrics(m.val_loss, m.metric, {"accuracy": m.metric, "negated_accuracy": neg})
