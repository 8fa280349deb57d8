"""What a task reads, what its network writes, and which family of output a prediction is.

Decided once per task class (its ClassVars); everything else asks the task. The family's value is
the `kind` of `rnntui predict --json` and of the exported programs' data.
"""

from __future__ import annotations

from enum import Enum


class InputKind(Enum):
    TOKENS = "tokens"  # ids into an embedding
    VECTORS = "vector"  # float features per step, through a linear layer


class OutputKind(Enum):
    CLASSES = "classes"  # logits over the output vocabulary
    VALUES = "value"  # a regression head


class Family(Enum):
    NEXT_TOKEN = "lm"  # the next token after the prefix, and a continuation
    TAGS = "tag"  # one label per token
    CLASS = "classify"  # one class for the whole prefix
    FORECAST = "regress"  # the next value of a series
    GENERATE = "generate"  # one input, a sequence out (one→many)
    TRANSLATE = "seq2seq"  # a sequence in, a sequence out (encoder-decoder)
