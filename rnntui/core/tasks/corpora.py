"""Built-in corpora, generated from small grammars so nothing is downloaded and all is seeded."""

from __future__ import annotations

import random

# No other word starts with HELL, so after HELL the only sensible next character is O.
HELLO_WORDS = (
    "HELLO",
    "WORLD",
    "RNN",
    "LSTM",
    "GRU",
    "MEMORY",
    "STATE",
    "GATE",
    "TIME",
    "STEP",
    "HIDDEN",
    "LAYER",
    "TRAIN",
    "LOSS",
    "WEIGHT",
    "HEY",
    "HERO",
    "LEARN",
    "SEQUENCE",
    "TOKEN",
)

_SUBJECTS = (
    "the cat",
    "a dog",
    "the old man",
    "my sister",
    "the little bird",
    "a tired fox",
    "the teacher",
    "our neighbour",
    "the small child",
    "a quiet girl",
    "the farmer",
    "the king",
    "a brave knight",
    "the baker",
    "her brother",
)
_VERBS = (
    "saw",
    "found",
    "liked",
    "watched",
    "followed",
    "painted",
    "heard",
    "called",
    "helped",
    "met",
    "carried",
    "wanted",
)
_OBJECTS = (
    "the red ball",
    "a green apple",
    "the river",
    "a big house",
    "the garden",
    "the moon",
    "a wooden boat",
    "the market",
    "a yellow hat",
    "the forest",
    "a letter",
    "the bridge",
    "an old book",
)
_PLACES = (
    "in the morning",
    "near the sea",
    "after dinner",
    "under the tree",
    "at the station",
    "in the rain",
    "on the hill",
    "before the storm",
    "by the window",
    "every day",
)
_ENDINGS = (
    "and then went home",
    "and smiled",
    "but said nothing",
    "and sang a song",
    "and laughed",
    "and fell asleep",
    "and ran away",
)


def hello_stream(n_words: int, seed: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(HELLO_WORDS) for _ in range(n_words)) + " "


def stories(n_sentences: int, seed: int) -> str:
    """Simple English sentences; enough structure that an LSTM visibly learns words and grammar."""
    rng = random.Random(seed)
    out = []
    for _ in range(n_sentences):
        s = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}"
        if rng.random() < 0.6:
            s += " " + rng.choice(_PLACES)
        if rng.random() < 0.4:
            s += " " + rng.choice(_ENDINGS)
        out.append(s[0].upper() + s[1:] + ".")
    return " ".join(out) + " "
