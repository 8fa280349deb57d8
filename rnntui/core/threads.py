"""How many intra-op threads train a spec on the CPU: a rule on the size of its matrix products.

Small recurrent networks spend a step in many tiny ops, where a second OpenMP thread buys little and
costs a wake-up per op while the app's UI process wants a core too; bigger ones gain from every core.
Measured on the 2-core CI machine (benchmarks/threads.py, steps/s, medians of 5 one-second turns):
hello (0.7M multiply-adds a step) 619 on 1 thread, 712 on 2 in a bare process, but 0.95× vs 0.83× of
the bare loop inside the app; long-memory (1.3M) 128 vs 161; char-lm (2.6M) 116 vs 192. The rule
matched or beat the measuring tuner it replaces on every preset (rule/tuned 1.01, 1.05, 1.56: the
tuner's short trial picked 1 thread for char-lm), so the threshold sits between 0.7M and 1.3M.
"""

from __future__ import annotations

import os

from rnntui.core.sizes import GATES
from rnntui.core.spec_types import ExperimentSpec

MIN_WORK_PER_THREAD = 1_000_000


def step_work(spec: ExperimentSpec) -> int:
    """Multiply-adds of one time step of the recurrent stack over one batch (its largest products)."""
    m = spec.model
    directions = 2 if m.bidirectional else 1
    work = 0
    for layer in range(m.num_layers):
        width = m.embedding_dim if layer == 0 else directions * m.hidden_size
        work += directions * GATES[m.cell] * m.hidden_size * (width + m.hidden_size)
    return spec.train.batch_size * work


def training_threads(spec: ExperimentSpec, cores: int | None = None) -> int:
    """1 below MIN_WORK_PER_THREAD multiply-adds a step, else every core."""
    cores = cores or os.cpu_count() or 1
    return 1 if step_work(spec) < MIN_WORK_PER_THREAD else cores


def threads_override() -> int | None:
    """RNNTUI_TRAIN_THREADS, when set to a number: the user's intra-op thread count for training
    (read by the app, whose environment the fork server's children do not share: it travels in the
    training process's Order)."""
    try:
        return max(1, int(os.environ["RNNTUI_TRAIN_THREADS"]))
    except (KeyError, ValueError):
        return None
