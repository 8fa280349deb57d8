"""How many intra-op threads train a spec on the CPU: a rule on the size of its matrix products.

PLACEHOLDER: threshold to be set from benchmarks/threads.py.
"""

from __future__ import annotations

import os

from rnntui.core.size_table import TaskSizes
from rnntui.core.sizes import GATES, param_count
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


def params(spec: ExperimentSpec, sizes: TaskSizes) -> int:
    return param_count(spec.model, sizes.input, sizes.output, sizes.tokens_in)


def training_threads(spec: ExperimentSpec, sizes: TaskSizes, cores: int | None = None) -> int:
    cores = cores or os.cpu_count() or 1
    return 1 if step_work(spec) < MIN_WORK_PER_THREAD else cores
