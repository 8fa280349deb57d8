"""What the map of the hidden state (state_map.py) shows in three lessons, as numbers: the tests
check them on short trainings, benchmarks/lessons.py on the presets trained in full.

- sentiment: "not" moves the state across the decision line (the path of "the movie was not good"
  ends among the validation states the network calls negative, "the movie was good" among the
  positive ones);
- doubling: the states are ordered by the magnitude of the number just read (neighbours on the map
  read numbers of similar size; along the first axis, how linearly);
- hello: the path of HELL ends in the region where O is predicted.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from rnntui.core.predictor import Predictor
from rnntui.core.state_map import StateMap, nearest_classes

NEAREST = 15  # validation states around the path's end that say which region it is in
NEGATIONS = (
    ("the movie was good", "the movie was not good"),
    ("the movie was bad", "the movie was not bad"),
    ("the food was great , not bad", "the food was bad , not great"),
)


@dataclass(frozen=True)
class Landing:
    """Where a prefix's path ends: the class most of the nearest validation states get, and how
    many of them get it; and what the network predicts for the prefix."""

    prefix: str
    region: str
    share: float
    predicted: str


def landing(predictor: Predictor, fit: StateMap, prefix: str, k: int = NEAREST) -> Landing:
    pred = predictor.feed(prefix)
    table = fit.table(pred)
    names = fit.cloud.names
    near = Counter(nearest_classes(fit.cloud, table.xs[-1], table.ys[-1], k))
    region, count = near.most_common(1)[0]
    predicted = names[table.classes[-1]] if table.classes and table.classes[-1] >= 0 else "?"
    return Landing(prefix, names[region], count / k, predicted)


def negation_flips(predictor: Predictor, fit: StateMap) -> list[tuple[Landing, Landing]]:
    """Each pair of NEGATIONS: where the plain and the negated sentence land."""
    return [(landing(predictor, fit, a), landing(predictor, fit, b)) for a, b in NEGATIONS]


@dataclass(frozen=True)
class MagnitudeOrder:
    first_axis_r: float  # Pearson r of the first axis with log(1 + the number just read)
    neighbour_ratio: float  # |Δ log| to the nearest map neighbours ÷ |Δ log| between random states


def magnitude_order(predictor: Predictor, fit: StateMap, sequences: Sequence[Sequence[int]]) -> MagnitudeOrder:
    """How the held-out `sequences`' states lie on the map by the size of the number just read."""
    xs: list[float] = []
    ys: list[float] = []
    logs: list[float] = []
    for seq in sequences:
        table = fit.table(predictor.feed(" ".join(str(n) for n in seq)))
        xs += table.xs
        ys += table.ys
        logs += [math.log1p(n) for n in seq[: len(table.xs)]]
    points, size = torch.tensor([xs, ys]).T, torch.tensor(logs)
    r = float(torch.corrcoef(torch.stack([points[:, 0], size]))[0, 1])
    distances = torch.cdist(points, points).fill_diagonal_(float("inf"))
    near = distances.topk(5, largest=False).indices
    g = torch.Generator().manual_seed(0)
    random = torch.randint(len(size), near.shape, generator=g)
    gap = (size[near] - size[:, None]).abs().mean() / (size[random] - size[:, None]).abs().mean()
    return MagnitudeOrder(r, float(gap))
