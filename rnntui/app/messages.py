"""Messages that cross views. Events are past tense; requests are imperative."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass
class TorchLoaded(Message):
    """torch is imported and the presets are read (or failed to be)."""

    presets: list[Any]
    device: str
    error: str | None = None


@dataclass
class SessionReady(Message):
    """A spec's task and trainer are built; views can draw it."""

    spec: Any
    error: str | None = None


@dataclass
class TrainerReported(Message):
    """One event from the training process (batched by the trainer, ≤ ~10 per second)."""

    event: Any


@dataclass
class TrainerLost(Message):
    """The training process ended without being asked to (killed, out of memory)."""

    reason: str


@dataclass
class SpecEdited(Message):
    """The Build view produced a new valid spec (or an error that blocks training)."""

    spec: Any
    error: str | None


@dataclass
class OpenRun(Message):
    """The Runs view asks to open a run's checkpoint in Predict (and resume its training)."""

    path: Any


@dataclass
class CompareProgress(Message):
    """A comparison's training reported: variant `index` of `total`, at `step` of `steps`."""

    label: str
    index: int
    total: int
    step: int
    steps: int
    run_dir: str | None = None  # the variant's run, listed and overlaid while it trains


@dataclass
class CompareDone(Message):
    """A comparison ended; `run_dirs` are its runs (one per variant that started)."""

    run_dirs: list[str]
    stopped: bool = False
    error: str | None = None
