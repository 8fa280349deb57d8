"""Long-range agreement: "The cat, which the dogs near the gardens chased, … sits/sit".

The model reads a sentence up to its main verb and says whether the verb must be singular or
plural. Between the subject and the verb stand 0 to `max_distractors` phrases whose nouns have
random number ("attractors"), so the last noun seen is no guide: the network must keep the
subject's number in memory across all of them (Linzen et al. 2016 tested LSTMs exactly so).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rnntui.core.errors import SpecError
from rnntui.core.lazy_torch import no_grad
from rnntui.core.tasks.base import Metrics, Param
from rnntui.core.tasks.data import Batch, Vocab
from rnntui.core.tasks.kinds import Family
from rnntui.core.tasks.words import Pool, PoolTask, classify_pool, is_held_out, vocab_of

if TYPE_CHECKING:
    import torch

    from rnntui.core.model import SequenceModel
else:  # imported at its first use: the app reads this module without torch (core/lazy_torch.py)
    from rnntui.core.lazy_torch import torch

NOUNS = (
    ("cat", "cats"),
    ("dog", "dogs"),
    ("boy", "boys"),
    ("girl", "girls"),
    ("teacher", "teachers"),
    ("farmer", "farmers"),
    ("bird", "birds"),
    ("king", "kings"),
)
PLACES = (
    ("garden", "gardens"),
    ("tree", "trees"),
    ("house", "houses"),
    ("river", "rivers"),
    ("table", "tables"),
    ("car", "cars"),
)
LABELS = ("singular", "plural")


PREPOSITIONS = ("near", "behind", "under")
VERBS = ("liked", "saw", "chased")


def below(rng: random.Random) -> Callable[[int], int]:
    """`rng.randrange(n)` (and `rng.choice(seq)` is `seq[below(len(seq))]`), drawing exactly what
    they draw (random.Random's `_randbelow`: as many bits as n has, drawn again while too large)
    without their argument checks: cat-sat's data in 0.33 s of CPU instead of 0.41 (measured).
    tests/test_preset_load.py checks the draws against random's own."""
    bits = rng.getrandbits

    def draw(n: int) -> int:
        k = n.bit_length()
        r = bits(k)
        while r >= n:
            r = bits(k)
        return r

    return draw


def phrase(draw: Callable[[int], int]) -> list[str]:
    """One distractor phrase; its noun's number is random (an attractor half of the time)."""
    n = draw(2)
    kind = draw(4)
    if kind == 0:
        return [PREPOSITIONS[draw(3)], "the", PLACES[draw(len(PLACES))][n]]
    if kind == 1:
        return ["with", "the", NOUNS[draw(len(NOUNS))][n]]
    if kind == 2:
        return [",", "which", "the", NOUNS[draw(len(NOUNS))][n], VERBS[draw(3)], ","]
    return ["that", VERBS[draw(3)], "the", NOUNS[draw(len(NOUNS))][n]]


def sentence(draw: Callable[[int], int], distractors: int) -> tuple[list[str], str]:
    number = draw(2)
    words = ["the", NOUNS[draw(len(NOUNS))][number]]
    for _ in range(distractors):
        words += phrase(draw)
    return words, LABELS[number]


class AgreementTask(PoolTask):
    name = "agreement"
    title = "subject-verb agreement across distractors"
    params = {
        "max_distractors": Param(int, 6, "phrases between the subject and its verb (0 to this many)", lo=0, hi=20),
        "sentences": Param(int, 20000, "generated training sentences", lo=10, hi=200_000),
    }
    patterns = ("many_to_one",)
    family = Family.CLASS
    metric_name = "accuracy"
    prefix_hint = "type a sentence up to its verb, e.g. the cat near the trees with the dogs"

    @classmethod
    def max_length(cls, params: Mapping[str, Any]) -> int:
        return 2 + 6 * int(params["max_distractors"])

    def __init__(self, params: Mapping[str, Any] | None = None, state: Mapping[str, Any] | None = None):
        super().__init__(params, state)
        if not 0 <= self.p["max_distractors"] <= 20:
            raise SpecError("task.max_distractors must be 0–20")
        # The vocabulary is everything the grammar can say, so no held-out word is unknown.
        every = [w for pair in NOUNS + PLACES for w in pair]
        every += ["the", "near", "behind", "under", "with", ",", "which", "that", "liked", "saw", "chased"]
        self.in_vocab = vocab_of([every], (Vocab.PAD, Vocab.UNK))
        self.out_vocab = Vocab(LABELS)

    def make_pools(self) -> tuple[Pool, Pool]:
        rng = random.Random(31)
        draw = below(rng)
        top = self.p["max_distractors"]
        train, val, val_k = [], [], []
        seen: set[str] = set()
        # Few distractors allow few distinct sentences (none: 16): stop drawing after a bounded number
        # of tries instead of looping forever for sentences that do not exist.
        for _ in range(20 * (self.p["sentences"] + 2000)):
            if len(train) >= self.p["sentences"] and len(val) >= 2000:
                break
            k = draw(top + 1)  # rng.randint(0, top)
            words, label = sentence(draw, k)
            key = " ".join(words)
            if key in seen:
                continue
            seen.add(key)
            if is_held_out(key, 0.1):
                if len(val) < 2000:
                    val.append((words, label))
                    val_k.append(k)
            elif len(train) < self.p["sentences"]:
                train.append((words, label))
        self.val_distractors = torch.tensor(val_k)
        return classify_pool(train, self.in_vocab, self.out_vocab), classify_pool(val, self.in_vocab, self.out_vocab)

    @no_grad
    def evaluate(self, model: SequenceModel, batches: Sequence[Batch]) -> Metrics:
        m = super().evaluate(model, batches)
        right = self.val_correct(model, batches)
        longest = self.val_distractors == self.p["max_distractors"]
        extras = {"accuracy": m.metric}
        if longest.any():
            extras["accuracy_longest"] = right[longest].float().mean().item()
        return Metrics(m.val_loss, m.metric, extras)
