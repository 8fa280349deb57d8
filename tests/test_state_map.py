"""The map of the hidden state (core/state_map.py): PCA as an SVD computes it, axes that keep their
direction between refits, a bounded sample, and a map for every pattern."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from helpers import PATTERN_TASKS, tiny
from rnntui.core.experiment import build
from rnntui.core.predictor import Predictor
from rnntui.core.state_map import MAX_STATES, Projection, StateMapper, fit_pca, map_json


def svd_reference(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The textbook PCA: the right singular vectors of the centred data, and their variance shares."""
    centred = x.double() - x.double().mean(0)
    _, s, vh = torch.linalg.svd(centred, full_matrices=False)
    return vh[:2].float(), (s.square() / s.square().sum())[:2].float()


@pytest.mark.parametrize("n,d", [(400, 12), (20, 64)])  # more states than dimensions, and fewer
def test_pca_equals_an_svd_of_the_centred_states(n, d):
    g = torch.Generator().manual_seed(n)
    x = torch.randn(n, d, generator=g) * torch.linspace(4.0, 0.2, d) + 3.0
    fit = fit_pca(x)
    axes, shares = svd_reference(x)
    cosines = (fit.axes * axes).sum(1)
    assert torch.allclose(cosines.abs(), torch.ones(2), atol=1e-4)  # the same axes, in either sign
    assert torch.allclose(torch.tensor(fit.explained), shares, atol=1e-4)
    projected = fit.project(x)
    expected = (x - x.mean(0)) @ (axes * cosines.sign()[:, None]).T
    assert torch.allclose(projected, expected, atol=1e-3)


def test_a_fit_without_a_previous_one_has_a_fixed_sign():
    """Each axis's largest loading is positive: the same states give the same picture every time."""
    x = torch.randn(200, 8, generator=torch.Generator().manual_seed(1)) * torch.linspace(3, 1, 8)
    fit = fit_pca(x)
    assert all(fit.axes[i, int(fit.axes[i].abs().argmax())] > 0 for i in range(2))
    flipped = fit_pca(-x)  # the mirrored cloud: its axes point the same way (largest loading positive)
    assert torch.allclose(flipped.axes, fit.axes, atol=1e-5)


def test_alignment_undoes_a_flip_and_a_swap():
    mean = torch.zeros(4)
    previous = Projection(mean, torch.eye(4)[:2], (0.5, 0.3))
    swapped = Projection(mean, torch.stack([torch.eye(4)[1], -torch.eye(4)[0]]), (0.3, 0.5))
    aligned = swapped.aligned_to(previous)
    assert torch.equal(aligned.axes, previous.axes)
    assert aligned.explained == (0.5, 0.3)  # each axis keeps its own share of the variance


def lm() -> tuple:
    spec = tiny("char_lm", {"corpus": "hello", "case": "upper", "seq_len": 12}, cell="lstm", hidden_size=16)
    return spec, *build(spec)


def nudge(model: torch.nn.Module, g: torch.Generator, scale: float = 0.01) -> None:
    with torch.no_grad():
        for p in model.parameters():
            p.add_(scale * p.abs().mean() * torch.randn(p.shape, generator=g))


def test_refits_after_slightly_changed_weights_keep_the_points_in_place():
    spec, task, model = lm()
    mapper = StateMapper(task, spec.train.batch_size)
    first = mapper.fit(model)
    assert first is not None
    g = torch.Generator().manual_seed(3)
    previous = first
    for _ in range(5):
        nudge(model, g)
        refit = mapper.fit(model, previous)
        assert refit is not None
        cosines = (refit.projection.axes * previous.projection.axes).sum(1)
        assert (cosines > 0.9).all(), cosines  # each axis points where it pointed
        previous = refit
    # The same states move little, so the cloud stays where it was.
    shift = torch.tensor(previous.cloud.xs) - torch.tensor(first.cloud.xs)
    assert shift.abs().mean() < 0.2 * torch.tensor(first.cloud.xs).std()


def test_the_sign_follows_the_previous_fit_not_the_decomposition():
    """Mirror the previous fit's axes: the refit mirrors too (an SVD's own signs are arbitrary, so
    without alignment a refit may flip the picture whatever the weights did)."""
    spec, task, model = lm()
    mapper = StateMapper(task, spec.train.batch_size)
    first = mapper.fit(model)
    assert first is not None
    mirrored = dataclasses.replace(first, projection=dataclasses.replace(first.projection, axes=-first.projection.axes))
    nudge(model, torch.Generator().manual_seed(4))
    refit = mapper.fit(model, mirrored)
    assert refit is not None
    assert ((refit.projection.axes * mirrored.projection.axes).sum(1) > 0.9).all()
    xs, mirrored_xs = torch.tensor(refit.cloud.xs), -torch.tensor(first.cloud.xs)
    assert (xs - mirrored_xs).abs().mean() < 0.2 * xs.std()


def test_the_sample_is_bounded_and_a_spent_budget_reads_one_batch():
    spec, task, model = lm()
    mapper = StateMapper(task, spec.train.batch_size)
    fit = mapper.fit(model)
    assert fit is not None
    assert 0 < len(fit.cloud.xs) <= MAX_STATES
    assert len(fit.cloud.xs) == len(fit.cloud.ys) == len(fit.cloud.classes)
    one_batch = mapper.fit(model, budget_s=0.0)  # the budget spent at once: one batch is read, no more
    assert one_batch is not None and len(one_batch.cloud.xs) <= len(mapper.batches[0].x) * 12


def test_a_wide_network_gets_fewer_states():
    """Wide states make the eigendecomposition big: the sample shrinks so a fit stays fast."""
    spec = tiny("char_lm", {"corpus": "hello", "case": "upper", "seq_len": 12}, cell="rnn_tanh", hidden_size=1024)
    task, model = build(spec)
    fit = StateMapper(task, 64).fit(model)
    assert fit is not None and len(fit.cloud.xs) <= max(256, 1500 * 256 // 1024)


@pytest.mark.parametrize(
    "pattern,task,params", [(p, t, params) for p, tasks in PATTERN_TASKS.items() for t, params in tasks]
)
def test_every_pattern_has_a_map_and_a_path(pattern, task, params):
    spec = tiny(task, params, pattern=pattern)
    t, model = build(spec)
    fit = StateMapper(t, spec.train.batch_size).fit(model)
    assert fit is not None and len(fit.cloud.xs) > 10
    prefix = {"adding": "0.5 0.2* 0.9*", "spell_number": "42"}.get(task, spec.example or "the cat sat")
    pred = Predictor(model, t).feed(prefix)
    table = fit.table(pred)
    assert len(table.xs) == len(table.ys) == len(pred.steps)
    # The head reads these states (so they are coloured by its class) except an encoder's and a regression's.
    classified = pattern != "encoder_decoder" and task != "adding"
    assert bool(fit.cloud.classes) == classified
    assert map_json(t, spec.train.batch_size, model, pred)["map"] == [
        [x, y] for x, y in zip(table.xs, table.ys, strict=True)
    ]


def test_a_bidirectional_stack_maps_both_directions():
    spec = tiny("sentiment", {}, pattern="many_to_one", bidirectional=True)
    task, model = build(spec)
    fit = StateMapper(task, 8).fit(model)
    assert fit is not None and fit.projection.axes.shape == (2, 2 * spec.model.hidden_size)
    assert fit.cloud.classes == ()  # its head reads the backward half's first step, not each step's state


def test_weights_that_diverged_have_no_map_and_say_why():
    spec, task, model = lm()
    with torch.no_grad():
        next(model.rnn.parameters()).fill_(float("nan"))
    mapper = StateMapper(task, spec.train.batch_size)
    assert mapper.fit(model) is None
    assert mapper.note is not None and "not finite" in mapper.note


def test_validation_data_that_cannot_be_read_is_said(monkeypatch):
    spec, task, model = lm()

    def gone(batch_size: int):
        raise OSError("corpus.txt: No such file or directory")

    monkeypatch.setattr(task, "val_batches", gone)
    mapper = StateMapper(task, spec.train.batch_size)
    assert mapper.fit(model) is None
    assert mapper.note is not None and "corpus.txt" in mapper.note


def test_the_path_s_classes_skip_special_tokens():
    spec, task, model = lm()
    with torch.no_grad():
        model.head.bias[task.out_vocab.pad] = 100.0  # <pad> would win everywhere
    fit = StateMapper(task, spec.train.batch_size).fit(model)
    table = fit.table(Predictor(model, task).feed("HEL"))
    assert task.out_vocab.pad not in table.classes and task.out_vocab.pad not in fit.cloud.classes
    assert dataclasses.asdict(table)["cloud"]["names"][0] == "<pad>"
