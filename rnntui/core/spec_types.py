"""The specification's data: frozen dataclasses, their allowed values and labels, and how one value is typed.

The bottom of the spec layer: it imports nothing of rnntui but the errors, so tasks, sizes and the checks
(spec_check.py) can use it while `spec.py`, which validates against the tasks, sits above them all.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rnntui.core.errors import SpecError

CELLS = ("rnn_tanh", "rnn_relu", "lstm", "gru")
PATTERNS = ("many_to_one", "one_to_many", "many_to_many", "encoder_decoder")
OPTIMIZERS = ("adam", "sgd", "rmsprop")
DEVICES = ("auto", "cpu", "cuda", "mps")
DIRECTIONS = ("min", "max")
ATTENTIONS = ("none", "dot", "additive")

PATTERN_LABELS = {
    "many_to_one": "many→one",
    "one_to_many": "one→many",
    "many_to_many": "many→many",
    "encoder_decoder": "encoder-decoder",
}
CELL_LABELS = {"rnn_tanh": "RNN-tanh", "rnn_relu": "RNN-relu", "lstm": "LSTM", "gru": "GRU"}


@dataclass(frozen=True)
class ModelSpec:
    cell: str = "lstm"
    hidden_size: int = 64
    num_layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.0
    pattern: str = "many_to_many"
    embedding_dim: int = 32
    forget_bias: float = 1.0
    # Scales the recurrent weight matrices after PyTorch's default init; >1 provokes explosions.
    recurrent_init_scale: float = 1.0
    attention: str = "none"  # encoder-decoder only: none | dot | additive (core/attention.py)


@dataclass(frozen=True)
class TaskSpec:
    name: str = "hello"
    # Task-specific parameters (seq_len, path, ...); each task declares and types its own.
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainSpec:
    steps: int = 1000
    batch_size: int = 32
    lr: float = 1e-3
    optimizer: str = "adam"
    clip_norm: float | None = None
    tbptt: int | None = None
    teacher_forcing: float = 1.0
    seed: int = 0
    device: str = "auto"
    eval_every: int = 100


@dataclass(frozen=True)
class GoalSpec:
    metric: str = ""
    threshold: float = 0.0
    direction: str = "max"
    baseline: float | None = None
    stop_at_goal: bool = False

    def met(self, value: float) -> bool:
        """The metric alone is at the threshold (see `met_by` for whether the goal counts)."""
        if not math.isfinite(value):
            return False
        return value >= self.threshold if self.direction == "max" else value <= self.threshold

    def met_by(self, value: float, val_loss: float | None, baseline: float | None) -> bool:
        """The goal counts: the metric is at the threshold and, where the task has a baseline (the
        loss of its best trivial predictor), the validation loss is below it. A metric measured on
        little (hello's one probe, p(O | HELL)) was met by a diverged network that says O to
        everything, at a loss far above the baseline."""
        if not self.met(value):
            return False
        if baseline is None or val_loss is None:
            return True
        return math.isfinite(val_loss) and val_loss < baseline


@dataclass(frozen=True)
class ExperimentSpec:
    name: str = "custom"
    title: str = ""
    lesson: str = ""
    try_next: tuple[tuple[str, str], ...] = ()  # (override, why)
    example: str = ""  # the prefix Predict opens with
    task: TaskSpec = field(default_factory=TaskSpec)
    model: ModelSpec = field(default_factory=ModelSpec)
    train: TrainSpec = field(default_factory=TrainSpec)
    goal: GoalSpec | None = None


SECTIONS: dict[str, type] = {"model": ModelSpec, "train": TrainSpec, "goal": GoalSpec}


def field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _is_optional(tp: Any) -> tuple[bool, Any]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return True, args[0]
    return False, tp


def coerce(value: Any, tp: Any, where: str) -> Any:
    """Turn a TOML value or a command-line string into the declared type, or explain why not."""
    optional, base = _is_optional(tp)
    if isinstance(value, str) and value.strip().lower() in ("none", "null", "off", ""):
        if optional:
            return None
    if value is None:
        if optional:
            return None
        raise SpecError(f"{where} cannot be empty")
    if base is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "1", "bi"):
            return True
        if isinstance(value, str) and value.strip().lower() in ("false", "no", "off", "0", "uni"):
            return False
        raise SpecError(f"{where} must be true or false, not {short(value)}")
    if base is int:
        if isinstance(value, bool):
            raise SpecError(f"{where} must be a whole number, not {short(value)}")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        try:
            return int(str(value).strip().replace("_", ""))
        except ValueError:  # also a string of more than 4300 digits (Python's int() limit)
            raise SpecError(f"{where} must be a whole number, not {short(value)}") from None
    if base is float:
        if isinstance(value, bool):
            raise SpecError(f"{where} must be a number, not {short(value)}")
        try:
            out = float(value)
        except (TypeError, ValueError, OverflowError):  # OverflowError: an int past 1e308 from TOML
            raise SpecError(f"{where} must be a number, not {short(value)}") from None
        if not math.isfinite(out):
            raise SpecError(f"{where} must be a finite number, not {short(value)}")
        return out
    if base is str:
        if not isinstance(value, str):
            raise SpecError(f"{where} must be text, not {short(value)}")
        if len(value) > MAX_TEXT:
            raise SpecError(f"{where} is {len(value):,} characters long; the limit is {MAX_TEXT:,}")
        return value.strip()
    return value


MAX_TEXT = 20_000  # any one text setting (a lesson is ~600 characters)


def short(value: Any) -> str:
    """A value quoted in an error message: one line, at most ~60 characters."""
    try:
        text = repr(value)
    except ValueError:  # an int of more than 4300 digits has no str() in Python ≥ 3.11
        return "a number that long"
    return text if len(text) <= 60 else text[:57] + "..."


def build_section(cls: type, data: Mapping[str, Any], where: str) -> Any:
    types_ = field_types(cls)
    unknown = [k for k in data if k not in types_]
    if unknown:
        raise SpecError(f"unknown key {where}.{unknown[0]}; valid keys: {', '.join(sorted(types_))}")
    kwargs = {k: coerce(v, types_[k], f"{where}.{k}") for k, v in data.items()}
    return cls(**kwargs)
