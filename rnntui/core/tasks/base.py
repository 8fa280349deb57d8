"""What every task provides: vocabulary, seeded batches, prefix tokenisation, decoding, metrics.

A task is data plus the rules to read it; it never owns a model. Batches are a pure function of
(seed, step), so two runs with the same seed see the same data in the same order (compare, resume).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from rnntui.core.errors import RunError, SpecError
from rnntui.core.lazy_torch import no_grad
from rnntui.core.spec_types import PATTERN_LABELS, ModelSpec, coerce, short
from rnntui.core.tasks.data import IGNORE, Batch, Token, Vocab
from rnntui.core.tasks.kinds import Family, InputKind, OutputKind

if TYPE_CHECKING:
    import torch

    from rnntui.core.model import SequenceModel
else:  # imported at its first use: the app reads this module without torch (core/lazy_torch.py)
    from rnntui.core.lazy_torch import torch


@dataclass
class Param:
    type: Any
    default: Any
    help: str
    # Bounds for numbers: far outside what a lesson uses, so only what would allocate without limit
    # (10**9 generated sentences, a sequence of 10**9 steps) is refused, before anything is built.
    lo: float | None = None
    hi: float | None = None


@dataclass
class Metrics:
    val_loss: float
    metric: float
    extras: dict[str, float] = field(default_factory=dict)


class Task:
    """Base class. Subclasses set the ClassVars and implement the data methods."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    params: ClassVar[dict[str, Param]] = {}
    patterns: ClassVar[tuple[str, ...]] = ("many_to_many",)
    # What the model reads and writes, and what a prediction is: the one place a task's kind is decided.
    input_kind: ClassVar[InputKind] = InputKind.TOKENS
    output_kind: ClassVar[OutputKind] = OutputKind.CLASSES
    family: ClassVar[Family] = Family.NEXT_TOKEN
    metric_name: ClassVar[str] = "accuracy"
    supports_tbptt: ClassVar[bool] = False
    prefix_hint: ClassVar[str] = "type a prefix"
    separator: ClassVar[str] = " "  # between output tokens: words and numbers; "" for characters

    # Upper bound of a token vocabulary, for the size check before anything is built (io_bounds).
    max_vocab: ClassVar[int] = 1000

    in_vocab: Vocab | None = None
    out_vocab: Vocab | None = None
    input_dim: int = 0
    output_dim: int = 0
    norm: tuple[float, float] = (0.0, 1.0)  # (mean, std) a regression's values were scaled by
    max_output: ClassVar[int] = 16  # tokens a generated or decoded sequence may have

    def __init__(self, params: Mapping[str, Any] | None = None, state: Mapping[str, Any] | None = None):
        self.p = self.resolve_params(params or {})

    # ---- declaration and checks -------------------------------------------------------------
    @classmethod
    def resolve_params(cls, params: Mapping[str, Any]) -> dict[str, Any]:
        cls.check_params(params)
        out = {k: p.default for k, p in cls.params.items()}
        out.update({k: coerce(v, cls.params[k].type, f"task.{k}") for k, v in params.items()})
        return out

    @classmethod
    def check_params(cls, params: Mapping[str, Any]) -> None:
        for key, value in params.items():
            if key not in cls.params:
                valid = ", ".join(sorted(cls.params)) or "(none)"
                raise SpecError(f"unknown key task.{key} for task {cls.name!r}; valid keys: {valid}")
            p = cls.params[key]
            value = coerce(value, p.type, f"task.{key}")
            if isinstance(value, int | float) and not isinstance(value, bool):
                if (p.lo is not None and value < p.lo) or (p.hi is not None and value > p.hi):
                    raise SpecError(f"task.{key} must be {_num(p.lo)}–{_num(p.hi)}, not {short(value)}")

    @classmethod
    def io_bounds(cls, params: Mapping[str, Any]) -> tuple[int, int]:
        """Upper bounds of the model's input and output sizes (vocabularies or vector widths)."""
        n_in = cls.max_vocab if cls.input_kind is InputKind.TOKENS else cls.input_dim
        n_out = cls.max_vocab if cls.output_kind is OutputKind.CLASSES else cls.output_dim
        return n_in, n_out

    @classmethod
    def max_length(cls, params: Mapping[str, Any]) -> int:
        """Upper bound of the time steps in one example (for the batch's activation cap)."""
        return 64

    @classmethod
    def check_model(cls, m: ModelSpec) -> None:
        if m.pattern not in cls.patterns:
            wanted = " or ".join(PATTERN_LABELS[p] for p in cls.patterns)
            raise SpecError(
                f"task {cls.name!r} needs the {wanted} pattern, not {PATTERN_LABELS[m.pattern]}: "
                f"set model.pattern={cls.patterns[0]}"
            )
        if cls.family is Family.NEXT_TOKEN and m.bidirectional:
            raise SpecError(
                "a bidirectional next-token language model would see the token it must predict "
                "(its backward half reads the future); set model.bidirectional=false"
            )

    # ---- sizes -------------------------------------------------------------------------------
    @property
    def reads_tokens(self) -> bool:
        return self.input_kind is InputKind.TOKENS and self.in_vocab is not None

    @property
    def n_in(self) -> int:
        """The model's input size: the input vocabulary's, or the width of a step's features."""
        return len(self.in_vocab) if self.reads_tokens and self.in_vocab is not None else self.input_dim

    @property
    def n_out(self) -> int:
        """The head's output size: the output vocabulary's, or the number of values."""
        classes = self.output_kind is OutputKind.CLASSES and self.out_vocab is not None
        return len(self.out_vocab) if classes and self.out_vocab is not None else self.output_dim

    # ---- data --------------------------------------------------------------------------------
    def train_batch(self, step: int, batch_size: int, seed: int) -> Batch:
        raise NotImplementedError

    def val_batches(self, batch_size: int) -> list[Batch]:
        raise NotImplementedError

    def state(self) -> dict[str, Any]:
        """JSON-able data a checkpoint needs to rebuild this task without its source data: at least
        every vocabulary, so a prefix is read and an output written exactly as the run did."""
        out: dict[str, Any] = {}
        if self.in_vocab is not None:
            out["in_vocab"] = list(self.in_vocab.itos)
        if self.out_vocab is not None:
            out["out_vocab"] = list(self.out_vocab.itos)
        return out

    def check_state(self, state: Mapping[str, Any]) -> None:
        """Refuse a checkpoint whose vocabularies differ from this task's (a vocabulary that was
        silently rebuilt differently would map every token to the wrong weights)."""
        for key, vocab in (("in_vocab", self.in_vocab), ("out_vocab", self.out_vocab)):
            saved = state.get(key)
            if saved is None or vocab is None:
                continue  # checkpoints from before vocabularies were saved
            if saved != vocab.itos:
                size = len(saved) if isinstance(saved, list) else "?"
                raise SpecError(
                    f"the checkpoint's {key.replace('_', ' ')}ulary ({size} tokens) differs from task "
                    f"{self.name!r}'s ({len(vocab)}): it was written by another rnntui version; train it again"
                )

    def load_data(self) -> None:
        """Read the task's own data now (before training a task rebuilt from a checkpoint), checking
        that it is the data the checkpoint was trained on; make generated pools now (PoolTask).
        Data generated batch by batch needs nothing."""

    @staticmethod
    def generator(seed: int, step: int, salt: int = 0) -> torch.Generator:
        g = torch.Generator()
        g.manual_seed((seed * 1_000_003 + step * 7919 + salt) % (2**63 - 1))
        return g

    # ---- reading a prefix and writing outputs ------------------------------------------------
    def tokenize(self, text: str) -> list[Token]:
        raise NotImplementedError

    def prefix_reading(self) -> dict[str, Any]:
        """How `tokenize` reads a prefix, as data: the exported programs (rnntui/exported/shared.py,
        which hold no rnntui code) read a prefix exactly as this task does from it."""
        raise RunError(f"the export does not know how task {self.name!r} reads a prefix")

    def join(self, tokens: Sequence[str]) -> str:
        """How output tokens are written back as text."""
        return self.separator.join(tokens)

    def decode(self, ids: Sequence[int]) -> list[str]:
        """Output ids as tokens, up to the end token (not included)."""
        vocab = self.out_vocab
        assert vocab is not None
        out = []
        for i in ids:
            if i == vocab.eos:
                break
            out.append(vocab.itos[i])
        return out

    def denormalise(self, value: float) -> float:
        """A regression output in the series' own units."""
        return value * self.norm[1] + self.norm[0]

    def continue_text(self, prefix: str, tokens: Sequence[str]) -> str:
        """Generated tokens as they follow the typed prefix: "2 4 8" + [16, 32] → " 16 32" (the
        prefix plus this is the whole text; "2 4 816 32" glued them)."""
        text = self.join(tokens)
        if text and self.separator and prefix and not prefix[-1].isspace():
            return self.separator + text
        return text

    # ---- evaluation --------------------------------------------------------------------------
    @property
    def baseline(self) -> float:
        """Loss (or metric) of the best trivial predictor, for the charts' reference line."""
        if self.output_kind is OutputKind.CLASSES and self.out_vocab is not None:
            return math.log(max(2, len(self.out_vocab)))
        return 1.0

    @no_grad
    def evaluate(self, model: SequenceModel, batches: Sequence[Batch]) -> Metrics:
        """Default: mean loss and accuracy over non-ignored targets (or MSE for regression)."""
        device = next(model.parameters()).device
        total_loss, n_loss, correct, counted = 0.0, 0, 0, 0
        for batch in batches:
            batch = batch.to(device)
            out = model(batch)
            total_loss += float(model.loss(out, batch))
            n_loss += 1
            if self.output_kind is OutputKind.CLASSES:
                pred = out.argmax(-1)
                mask = batch.y != IGNORE
                correct += int((pred.eq(batch.y) & mask).sum())
                counted += int(mask.sum())
        val_loss = total_loss / max(1, n_loss)
        if self.output_kind is OutputKind.VALUES:
            return Metrics(val_loss=val_loss, metric=val_loss)
        return Metrics(val_loss=val_loss, metric=correct / max(1, counted))

    def samples(self, model: SequenceModel, n: int = 2) -> list[str]:
        """Short generated texts shown while training (language-model tasks)."""
        return []


def _num(x: float | None) -> str:
    if x is None:
        return "…"
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"
