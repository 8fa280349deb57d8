"""`validate()`: the one place that refuses a specification that cannot train, with what to change.

Every bound here is far outside what a lesson uses; it refuses only what would overflow (a float32
forget-gate bias of 1e39, a seed of 2**64), allocate without limit, or never end. The network's size
is capped in parameters (`sizes.MAX_PARAMS`) and a batch's activations (`sizes.MAX_ACTIVATIONS`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rnntui.core.errors import SpecError
from rnntui.core.sizes import activation_problem, param_count, too_large
from rnntui.core.spec_types import (
    ATTENTIONS,
    CELLS,
    DEVICES,
    DIRECTIONS,
    OPTIMIZERS,
    PATTERN_LABELS,
    PATTERNS,
    ExperimentSpec,
    ModelSpec,
    TrainSpec,
    short,
)
from rnntui.core.tasks import get_task_class
from rnntui.core.tasks.kinds import InputKind

if TYPE_CHECKING:
    from rnntui.core.tasks.base import Task

MAX_STEPS = 1_000_000_000
MAX_SEED = 2**64 - 1  # torch.manual_seed takes an unsigned 64-bit seed
MAX_BIAS = 100.0
MAX_SCALE = 100.0
MAX_CLIP = 1e6
MAX_TBPTT = 100_000


def check(spec: ExperimentSpec) -> None:
    """Raise SpecError for anything that cannot train; messages say what to change."""
    _check_model(spec.model)
    _check_train(spec.train)
    if spec.goal is not None and spec.goal.direction not in DIRECTIONS:
        raise SpecError(f"goal.direction must be min or max, not {short(spec.goal.direction)}")
    _check_task(spec)


def _check_model(m: ModelSpec) -> None:
    if m.cell not in CELLS:
        raise SpecError(f"model.cell {short(m.cell)} is not a cell; choose one of {', '.join(CELLS)}")
    if m.pattern not in PATTERNS:
        raise SpecError(f"model.pattern {short(m.pattern)} is unknown; choose one of {', '.join(PATTERNS)}")
    _within("model.num_layers", m.num_layers, 1, 4)
    _within("model.hidden_size", m.hidden_size, 1, 2048)
    _within("model.embedding_dim", m.embedding_dim, 1, 1024)
    if not 0.0 <= m.dropout < 1.0:
        raise SpecError(f"model.dropout must be in [0, 1), not {m.dropout}")
    if m.dropout > 0 and m.num_layers == 1:
        raise SpecError(
            "model.dropout acts only between stacked layers: with num_layers=1 it does nothing; "
            "set model.num_layers=2 or more, or model.dropout=0"
        )
    if not 0 < m.recurrent_init_scale <= MAX_SCALE:
        raise SpecError(f"model.recurrent_init_scale must be positive and at most {MAX_SCALE:g}")
    if not -MAX_BIAS <= m.forget_bias <= MAX_BIAS:
        raise SpecError(f"model.forget_bias must be between {-MAX_BIAS:g} and {MAX_BIAS:g} (1 is usual)")
    if m.attention not in ATTENTIONS:
        raise SpecError(f"model.attention {short(m.attention)} is unknown; choose one of {', '.join(ATTENTIONS)}")
    if m.attention != "none" and m.pattern != "encoder_decoder":
        raise SpecError(
            "attention lets a decoder look back at every encoder step: it needs the encoder-decoder "
            f"pattern, not {PATTERN_LABELS[m.pattern]}; set model.attention=none"
        )
    if m.pattern == "one_to_many" and m.bidirectional:
        raise SpecError(
            "bidirectional needs the whole input: it cannot drive a one-to-many generator, which "
            "produces its sequence one step at a time; set model.bidirectional=false"
        )


def _check_train(t: TrainSpec) -> None:
    if t.steps < 0:
        raise SpecError(f"train.steps must be 0 or more, not {short(t.steps)}")
    _within("train.steps", t.steps, 0, MAX_STEPS)
    _within("train.batch_size", t.batch_size, 1, 65536)
    if not 0 < t.lr <= 100:
        raise SpecError(f"train.lr must be positive (e.g. 0.001), not {t.lr}")
    if t.optimizer not in OPTIMIZERS:
        raise SpecError(f"train.optimizer {short(t.optimizer)} is unknown; choose one of {', '.join(OPTIMIZERS)}")
    if t.clip_norm is not None and not 0 < t.clip_norm <= MAX_CLIP:
        raise SpecError(f"train.clip_norm must be positive (at most {MAX_CLIP:g}) or none, not {t.clip_norm}")
    if t.tbptt is not None and not 1 <= t.tbptt <= MAX_TBPTT:
        raise SpecError(f"train.tbptt must be 1–{MAX_TBPTT}, or none, not {short(t.tbptt)}")
    if not 0.0 <= t.teacher_forcing <= 1.0:
        raise SpecError(f"train.teacher_forcing must be in [0, 1], not {t.teacher_forcing}")
    _within("train.seed", t.seed, 0, MAX_SEED)
    if t.device not in DEVICES:
        raise SpecError(f"train.device {short(t.device)} is unknown; choose one of {', '.join(DEVICES)}")
    _within("train.eval_every", t.eval_every, 1, MAX_STEPS)


def _check_task(spec: ExperimentSpec) -> None:
    """The task's own checks: its parameters, the patterns it trains, TBPTT, and the network's size."""
    task_cls = get_task_class(spec.task.name)
    task_cls.check_params(spec.task.params)
    task_cls.check_model(spec.model)
    if spec.train.tbptt is not None and not task_cls.supports_tbptt:
        raise SpecError(
            f"train.tbptt applies to long text language models; task {spec.task.name!r} trains on "
            "whole sequences: set train.tbptt=none"
        )
    check_size(spec, task_cls)


def _within(name: str, value: int, lo: int, hi: int) -> None:
    if not lo <= value <= hi:
        raise SpecError(f"{name} must be {lo}–{hi:,}, not {short(value)}")


def check_size(spec: ExperimentSpec, task_cls: type[Task]) -> None:
    """Refuse, before anything is allocated, a network over the parameter cap or a batch whose
    activations would not fit in memory. Vocabularies are the task's upper bounds here; a
    checkpoint is checked again with its exact sizes."""
    n_in, n_out = task_cls.io_bounds(task_cls.resolve_params(spec.task.params))
    problem = too_large(param_count(spec.model, n_in, n_out, task_cls.input_kind is InputKind.TOKENS))
    length = task_cls.max_length(task_cls.resolve_params(spec.task.params))
    problem = problem or activation_problem(spec.model, spec.train.batch_size, length)
    if problem:
        raise SpecError(problem)
