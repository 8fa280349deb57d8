"""Messages between the app, its views and its threads. Events are past tense; requests imperative.

Data flows one way: a key → an App action → a request to the training process or the predictor →
their answers come back as these messages (posted from their threads; post_message is thread-safe)
→ the App replaces its state → the views, which watch it, redraw.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

from rnntui.core import trainer_protocol as p
from rnntui.core.presets import PresetEntry
from rnntui.core.spec import ExperimentSpec

if TYPE_CHECKING:
    from rnntui.core.predictor_protocol import Hunted, PredictionView
    from rnntui.core.trace_table import TraceTable


@dataclass
class MenuRead(Message):
    """The presets menu is read (or failed to be: `error`)."""

    presets: list[PresetEntry]
    error: str | None = None


@dataclass
class TrainerReplied(Message):
    """A reply from a training process; `client` tells the current one from one still closing."""

    client: int
    reply: p.Reply


@dataclass
class CompareReplied(Message):
    """A reply from the training process of variant `index` of a comparison."""

    index: int
    reply: p.Reply


@dataclass
class SpecEdited(Message):
    """The Build view produced a new valid spec (or an error that blocks training)."""

    spec: ExperimentSpec
    error: str | None


@dataclass
class OpenRun(Message):
    """The Runs view asks to open a run's checkpoint in Predict (and resume its training)."""

    path: Path


@dataclass
class PredictRequested(Message):
    """The Predict view's prefix changed: predict it (the newest request replaces older ones)."""

    prefix: str
    top_k: int
    map: bool = False  # the map of the hidden state is shown: the prefix's path on it is wanted too


@dataclass
class PredictorLoaded(Message):
    """The predictor's copy of a network is built: what Predict offers for it."""

    spec: ExperimentSpec
    hint: str
    layers: list[tuple[str, str]]  # (label, "layer,direction")
    quantities: list[tuple[str, str]]  # (label, what)


@dataclass
class Predicted(Message):
    """The prediction for `prefix`, with its values as plain numbers (`table`) for drawing, among them
    what it looks at (`table.saliency`)."""

    prefix: str
    prediction: PredictionView
    table: TraceTable
    # The first answer for a prefix: what comes at once (the next token, the steps). The slower
    # parts (continuation, saliency, map) follow in a second Predicted for the same prefix.
    partial: bool = False


@dataclass
class HuntRequested(Message):
    """Predict's neuron hunt: rank the units against `pattern`'s matches in `prefix`."""

    prefix: str
    pattern: str
    generation: int  # the view's count of hunts (an answer to an older one is dropped)


@dataclass
class HuntRanked(Message):
    """The predictor ranked the units against the neuron hunt's regex, or could not (`hunted.error`)."""

    hunted: Hunted


@dataclass
class PredictFailed(Message):
    reason: str
