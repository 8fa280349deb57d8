"""Intra-op threads in the app's process: the UI's and its helper threads' torch work on one thread.

OpenMP keeps a worker pool per thread that runs parallel regions. Measured on the 2-core CI machine:
once a second thread has run ops with 2 intra-op threads, training in a new thread with 2 drops from
~80 to ~22 steps/s (long-memory) and ~340 to ~100 (hello). Training happens in its own process; the
app's threads (the predictor's, the loaders') run their small ops on one thread each.
"""

from __future__ import annotations

import os


def threads_override() -> int | None:
    """RNNTUI_TRAIN_THREADS, when set to a number: the user's intra-op thread count for training."""
    try:
        return max(1, int(os.environ["RNNTUI_TRAIN_THREADS"]))
    except (KeyError, ValueError):
        return None


def helper_thread() -> None:
    """Call first in every app thread that runs torch ops (the predictor's, the loader's): training
    happens in its own process.

    OpenMP keeps a worker pool per thread that runs parallel regions. Measured on the 2-core CI
    machine: once a second thread has run ops with 2 intra-op threads, training in a new thread
    with 2 drops from ~80 to ~22 steps/s (long-memory) and ~340 to ~100 (hello). When every other
    thread runs its (small) ops on one thread, training keeps its full speed (74–86 steps/s).
    """
    import torch

    torch.set_num_threads(1)
