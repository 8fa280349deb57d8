"""Intra-op threads in the app's process: the UI's and its helper threads' torch work on one thread.

Training happens in its own process. The app's threads (the predictor's, the loader's) run small
ops, one recurrent step per keystroke, which gain nothing from a pool of OpenMP workers, and such a
pool spins on the cores the training process is using.
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
    machine when training still ran in a thread of the app: once a second thread had run ops with 2
    intra-op threads, training dropped from ~80 to ~22 steps/s (long-memory). The process boundary
    removes that clash, but a pool here would still spin on the cores the trainer uses.
    """
    import torch

    torch.set_num_threads(1)
