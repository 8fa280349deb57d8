"""The map of the hidden state: the validation set's states projected to 2-D by PCA, and a typed
prefix's path over them.

The states are the top layer's hidden state (both directions side by side) at every valid step of
a bounded, fixed sample of the task's validation batches: the sample is chosen once per network
(`StateMapper`), so refits after new weights compare like with like. PCA is an exact SVD of the
centred states (torch only). Each refit is aligned to the previous one (axes swapped back and
signs flipped when that matches the old axes better), so points do not jump to the mirror side
of the map every time training reports. The UI reads plain numbers (`MapTable`, trace_table.py).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from rnntui.core.errors import RunError, SpecError
from rnntui.core.model import SequenceModel, fused_runner
from rnntui.core.tasks.base import Task
from rnntui.core.tasks.data import IGNORE, Batch
from rnntui.core.tasks.kinds import OutputKind
from rnntui.core.trace_table import MapCloud, MapTable

if TYPE_CHECKING:
    from rnntui.core.prediction import Prediction, StepView

MAX_STATES = 1500  # points in the cloud: readable as a scatter, and a fit in a few milliseconds
STATE_CELLS = 1500 * 256  # states × their width at most: the eigendecomposition stays small for wide networks
MAX_SEQUENCES = 256  # sequences read from the validation batches at most (before the states are sampled)
SAMPLE_SEED = 0


@dataclass(frozen=True)
class Projection:
    """PCA's two axes: `states @ axes.T` after centring on `mean`; `explained` is the share of the
    states' variance along each axis."""

    mean: torch.Tensor  # (D,)
    axes: torch.Tensor  # (2, D), orthonormal rows (a zero row when the states have one dimension)
    explained: tuple[float, float]

    def project(self, states: torch.Tensor) -> torch.Tensor:
        """(N, D) → (N, 2)."""
        return (states.float() - self.mean) @ self.axes.T

    def aligned_to(self, previous: Projection | None) -> Projection:
        """The same axes, swapped and sign-flipped to point where `previous` pointed (a fit of the
        same states after slightly different weights comes out of the SVD in any sign)."""
        if previous is None or previous.axes.shape != self.axes.shape:
            return self
        match = self.axes @ previous.axes.T  # (2, 2) cosines between new and old axes
        axes, explained = self.axes, self.explained
        if match[0, 1].abs() + match[1, 0].abs() > match[0, 0].abs() + match[1, 1].abs():
            axes, explained = axes.flip(0), (explained[1], explained[0])
            match = match.flip(0)
        signs = torch.where(match.diagonal() < 0, -1.0, 1.0)
        return Projection(self.mean, axes * signs[:, None], explained)


def fit_pca(states: torch.Tensor, previous: Projection | None = None) -> Projection:
    """The two principal axes of `states` (N, D): the top eigenvectors of the centred states'
    scatter matrix (D × D: cheaper than an SVD of the N × D states, the same axes). The signs follow
    `previous` when given, else each axis's largest loading is positive (a fixed convention)."""
    x = states.detach().float()
    mean = x.mean(0)
    centred = x - mean
    k = min(2, *x.shape)
    axes = torch.zeros(2, x.shape[1])
    if x.shape[1] <= x.shape[0]:
        values, vectors = torch.linalg.eigh(centred.T @ centred)  # ascending
        axes[:k] = vectors[:, -k:].flip(1).T
    else:  # fewer states than dimensions: the N × N Gram matrix has the same nonzero eigenvalues
        values, vectors = torch.linalg.eigh(centred @ centred.T)
        top = centred.T @ vectors[:, -k:].flip(1)  # (D, k), columns of norm sqrt(eigenvalue)
        axes[:k] = (top / top.norm(dim=0).clamp(min=1e-12)).T
    biggest = axes.abs().argmax(1)
    axes = axes * torch.where(axes.gather(1, biggest[:, None]) < 0, -1.0, 1.0)
    power = values.clamp(min=0).flip(0)
    total = float(power.sum())
    shares = [float(power[i]) / total if total > 0 and i < k else 0.0 for i in range(2)]
    return Projection(mean, axes, (shares[0], shares[1])).aligned_to(previous)


@dataclass(frozen=True)
class StateMap:
    """One fit: the projection, the validation cloud as plain numbers, and how long it took."""

    projection: Projection
    cloud: MapCloud
    seconds: float
    skipped: tuple[int, ...] = ()  # classes never shown as a prediction (<pad>, <unk>, <s>)

    def path(self, prediction: Prediction) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """The prefix's steps on the map: (xs, ys)."""
        if not prediction.steps:
            return (), ()
        points = self.projection.project(torch.stack([top_state(s) for s in prediction.steps]))
        return tuple(points[:, 0].tolist()), tuple(points[:, 1].tolist())

    def table(self, prediction: Prediction) -> MapTable:
        skip = set(self.skipped)
        classes = tuple(best_class(s, skip) for s in prediction.steps) if self.cloud.names else ()
        return MapTable(self.cloud, *self.path(prediction), classes)

    def to_json(self, prediction: Prediction) -> dict[str, object]:
        """`predict --json --trace`'s fields: each step's point, each axis's share of the variance."""
        xs, ys = self.path(prediction)
        return {"map": [[x, y] for x, y in zip(xs, ys, strict=True)], "map_explained": list(self.projection.explained)}


def top_state(step: StepView) -> torch.Tensor:
    """The top layer's hidden state after a step, both directions side by side (as the fused
    module's output is): (D*H,)."""
    return step.hidden[-1].reshape(-1).float()


def best_class(step: StepView, skip: set[int]) -> int:
    """The head's top class after a step (never a special token), -1 where it has no output."""
    if step.output is None or step.output.dim() != 1:
        return -1
    scores = step.output.float().clone()
    scores[list(skip)] = float("-inf")
    return int(scores.argmax())


class StateMapper:
    """Chooses the validation sample once (a network's task and batch size), then fits a map for
    each new set of weights. `note` says why the last fit made no map (the task's data is gone, the
    weights make no finite states)."""

    def __init__(self, task: Task, batch_size: int, max_states: int = MAX_STATES) -> None:
        self.task = task
        self.max_states = max_states
        self.batches: list[Batch] = []
        self.unavailable: str | None = None  # why this task can have no map at all
        try:
            self.batches = sample_batches(task.val_batches(batch_size), max_states)
        except (RunError, SpecError, OSError) as exc:
            self.unavailable = f"no map: the validation data cannot be read: {exc}"
        if not self.batches and self.unavailable is None:
            self.unavailable = "no map: the task has no validation sequences"
        self.note = self.unavailable
        out = task.out_vocab
        self.names = tuple(out.itos) if task.output_kind is OutputKind.CLASSES and out is not None else ()
        self.skipped = tuple(i for i in (out.pad, out.unk, out.bos) if i is not None) if out is not None else ()

    @torch.no_grad()
    def fit(
        self, model: SequenceModel, previous: StateMap | None = None, budget_s: float | None = None
    ) -> StateMap | None:
        """A map for the model's weights, aligned to `previous`; with `budget_s`, the batches read
        stop once it is spent (at least one is read)."""
        if self.unavailable is not None:
            return None
        t0 = time.perf_counter()
        states, classes = self.states(model, None if budget_s is None else t0 + budget_s)
        finite = states.isfinite().all(1)
        if int(finite.sum()) < 2:
            self.note = "no map: the network's states are not finite numbers (its weights diverged)"
            return None
        self.note = None
        states, classes = states[finite], None if classes is None else classes[finite]
        projection = fit_pca(states, previous.projection if previous is not None else None)
        points = projection.project(states)
        cloud = MapCloud(
            tuple(points[:, 0].tolist()),
            tuple(points[:, 1].tolist()),
            tuple(classes.tolist()) if classes is not None else (),
            self.names if classes is not None else (),
            projection.explained,
        )
        return StateMap(projection, cloud, time.perf_counter() - t0, self.skipped)

    @torch.no_grad()
    def states(self, model: SequenceModel, deadline: float | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(N, D*H) top-layer states at the sample's valid steps, and the head's class at each
        (None where the head does not read these states: an encoder's, or a regression)."""
        was_training = model.training
        model.eval()
        device = next(model.parameters()).device
        rows, labels = [], []
        classify = bool(self.names) and reads_states(model)
        width = model.spec.hidden_size * (model.num_directions if model.pattern != "one_to_many" else 1)
        cap = min(self.max_states, max(256, STATE_CELLS // width))
        started = time.perf_counter()
        for batch in self.batches:
            seq, valid = run_stack(model, batch.to(device))
            picked = seq[valid]
            rows.append(picked.float().cpu())
            if classify:
                scores = model.head(picked).float()
                scores[:, list(self.skipped)] = float("-inf")
                labels.append(scores.argmax(-1).cpu())
            now = time.perf_counter()
            if deadline is not None and now + (now - started) / len(rows) > deadline:
                break  # the next batch would end past the deadline
            if sum(len(r) for r in rows) >= cap:
                break
        model.train(was_training)
        states = torch.cat(rows)[:cap]
        return states, (torch.cat(labels)[:cap] if classify else None)


def map_json(task: Task, batch_size: int, model: SequenceModel, prediction: Prediction) -> dict[str, object]:
    """`predict --json --trace`'s map: fitted on the task's validation states, with every step's point."""
    mapper = StateMapper(task, batch_size)
    fit = mapper.fit(model)
    return fit.to_json(prediction) if fit is not None else {"map": None, "map_note": mapper.note}


def reads_states(model: SequenceModel) -> bool:
    """Whether the head reads the top layer's state at each step as the stack emits it: a
    bidirectional many→one head reads the forward half's last and the backward half's first step."""
    if model.pattern in ("many_to_many", "one_to_many"):
        return True
    return model.pattern == "many_to_one" and model.num_directions == 1


def run_stack(model: SequenceModel, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    """The stack the Predict view traces, run fused: its output (B, T, D*H) and which steps are real
    (not padding)."""
    if model.pattern == "one_to_many":
        assert batch.y_in is not None
        seq, _ = fused_runner(model.rnn, model.dec_embed(batch.y_in), model.initial_from_one(batch.x), None, "decoder")
        return seq, batch.y != IGNORE
    seq, _ = fused_runner(model.rnn, model.embed(batch.x), None, batch.lengths, "rnn")
    steps = torch.arange(seq.shape[1], device=seq.device)
    if batch.lengths is not None:
        return seq, steps[None, :] < batch.lengths.to(seq.device)[:, None]
    pad = model.embed.padding_idx if isinstance(model.embed, torch.nn.Embedding) else None
    if pad is not None and batch.x.dim() == 2:
        return seq, batch.x != pad
    return seq, torch.ones(seq.shape[:2], dtype=torch.bool, device=seq.device)


def sample_batches(batches: list[Batch], max_states: int) -> list[Batch]:
    """At most MAX_SEQUENCES sequences, drawn with a fixed seed across the validation batches, in
    batches of the original size, stopping once they hold about `max_states` steps."""
    if not batches:
        return []
    total = sum(len(b.x) for b in batches)
    g = torch.Generator().manual_seed(SAMPLE_SEED)
    order = torch.randperm(total, generator=g)[:MAX_SEQUENCES].sort().values
    out, start, steps = [], 0, 0
    for b in batches:
        n = len(b.x)
        mine = order[(order >= start) & (order < start + n)] - start
        start += n
        need = -(-(max_states - steps) // sequence_steps(b))  # sequences still wanted (ceil)
        mine = mine[:need]
        if len(mine) == 0:
            continue
        out.append(pick(b, mine))
        steps += len(mine) * sequence_steps(b)
        if steps >= max_states:
            break
    return out


def sequence_steps(b: Batch) -> int:
    return b.y_in.shape[1] if b.y_in is not None else (b.x.shape[1] if b.x.dim() >= 2 else 1)


def pick(b: Batch, rows: torch.Tensor) -> Batch:
    return Batch(
        x=b.x[rows],
        y=b.y[rows],
        lengths=None if b.lengths is None else b.lengths[rows],
        y_in=None if b.y_in is None else b.y_in[rows],
    )


def nearest_classes(cloud: MapCloud, x: float, y: float, k: int) -> list[int]:
    """The classes of the k validation points nearest to (x, y) on the map (lessons, tests)."""
    order = sorted(range(len(cloud.xs)), key=lambda i: math.hypot(cloud.xs[i] - x, cloud.ys[i] - y))
    return [cloud.classes[i] for i in order[:k]]
