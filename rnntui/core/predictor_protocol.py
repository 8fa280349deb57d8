"""What the app and its predictor process say to each other: frozen dataclasses, pickled over a
pipe (core/predictor_child.py serves, core/predictor_client.py asks).

app → predictor: Network (build this network: the training process's spec, vocabulary and first
weights), Weights (newer weights: the last prefix is read again), Feed (a typed prefix), Hunt (rank
the units against a regex over a prefix), Close. Newer requests of a kind replace older ones still
waiting. predictor → app: Loaded, then an Answered per prefix read (twice: at once, then with the
parts that cost more), Hunted, Failed.

Plain data only, both ways: the app's process imports no torch (issue 15: its memory). The weights
cross still pickled (trainer_protocol.Weights) and are read in the predictor's process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rnntui.core.labels import layer_label
from rnntui.core.outputs import Output
from rnntui.core.spec import ExperimentSpec
from rnntui.core.trace_table import MapTable, RowEdit, Rows, Saliency
from rnntui.core.trainer_protocol import Weights


# ---- requests --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Network:
    spec: ExperimentSpec
    task_state: dict[str, Any]  # the trainer's vocabulary (JSON data)
    weights: Weights = field(repr=False)


@dataclass(frozen=True)
class Feed:
    prefix: str
    top_k: int = 5
    map: bool = False  # the map of the hidden state is shown: the prediction comes with the prefix's path


@dataclass(frozen=True)
class Hunt:
    prefix: str
    pattern: str
    generation: int  # the view's count of hunts: an answer to an older one is dropped


@dataclass(frozen=True)
class Close:
    pass


# ---- replies ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Loaded:
    """The network is built: what Predict offers for it."""

    spec: ExperimentSpec
    hint: str
    layers: tuple[tuple[str, str], ...]  # (label, "layer,direction")
    quantities: tuple[tuple[str, str], ...]  # (label, what)


@dataclass(frozen=True)
class PredictionView:
    """A prediction as the view reads it: what the network says, and about what."""

    prefix: str
    # The tokens fed (the window's), as the task read them: filled in by the app's reader from the
    # table's rows, which carry them (sent again whole, 512 of them cost every key ~0.15 ms).
    tokens: tuple[str, ...]
    output: Output
    fed: int  # steps the network took (0: nothing was read)
    notes: tuple[str, ...] = ()
    window_start: int = 0  # the first token fed (a prefix longer than the window is read from there)

    @property
    def notice(self) -> str | None:
        return "; ".join(self.notes) or None


@dataclass(frozen=True)
class Answered:
    """A prefix read. `rows`: how the table's rows differ from the last answer's (None: this one has
    none); with `fresh` False they are the last answer's, unchanged (the second answer for a prefix)."""

    prefix: str
    view: PredictionView
    rows: RowEdit | None
    fresh: bool = True
    partial: bool = False  # the first answer: the continuation, saliency and map follow in a second
    attention: Rows = ()
    written: tuple[str, ...] = ()
    map: MapTable | None = None
    map_note: str | None = None
    saliency: Saliency | None = None


@dataclass(frozen=True)
class Unit:
    """A hidden unit the neuron hunt ranked (core/hunt.py)."""

    layer: int
    direction: int
    unit: int
    score: float  # Pearson r between activation and "inside a match"
    layer_name: str = ""  # as the Predict view's layer list names it

    def label(self) -> str:
        return f"{self.layer_name or layer_label(self.layer, self.direction)} unit {self.unit}"


@dataclass(frozen=True)
class Hunted:
    generation: int
    text: str
    pattern: str
    units: tuple[Unit, ...]
    error: str | None  # why nothing was ranked (a bad regex, a constant target)


@dataclass(frozen=True)
class Failed:
    reason: str  # one line
