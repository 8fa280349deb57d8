"""A keystroke's shortcuts give what the general paths give: one step of a stack (core/one_step.py)
equals trace_stack's, a token's embedding row equals the embedding's forward, the top k from a few
candidates equals the top k of the whole vector (ties in index order), and a step's quantities read
in one conversion equal them read one by one."""

from __future__ import annotations

import itertools

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnntui.core.experiment import build
from rnntui.core.model import make_rnn
from rnntui.core.one_step import step_stack
from rnntui.core.predictor import Predictor
from rnntui.core.presets import resolve
from rnntui.core.spec import CELLS
from rnntui.core.top_k import full_top_k, top_k
from rnntui.core.trace import trace_stack


@pytest.mark.parametrize(("cell", "layers", "from_zeros"), list(itertools.product(CELLS, (1, 2, 3), (True, False))))
def test_one_step_equals_the_trace_of_one_step(cell, layers, from_zeros):
    torch.manual_seed(3)
    rnn = make_rnn(cell, 5, 7, layers, False, 0.0).eval()
    x = torch.randn(1, 5)
    h0 = None if from_zeros else torch.randn(layers, 1, 7)
    state = None if h0 is None else (h0, torch.randn_like(h0)) if cell == "lstm" else h0
    with torch.no_grad():
        one = step_stack(rnn, x, state)
        tr = trace_stack(rnn, x.unsqueeze(1), state)
    hidden = torch.stack([row[0].h[0, 0] for row in tr.layers]).unsqueeze(1)
    assert one.hidden.shape == (layers, 1, 7) and torch.allclose(one.hidden, hidden, atol=1e-6)
    for name, gate in one.gates.items():
        want = torch.stack([row[0].gates[name][0, 0] for row in tr.layers]).unsqueeze(1)
        assert torch.allclose(gate, want, atol=1e-6), name
    if cell == "lstm":
        cells = torch.stack([row[0].c[0, 0] for row in tr.layers]).unsqueeze(1)
        assert torch.allclose(one.cell, cells, atol=1e-6)
        assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(one.state, tr.h_n, strict=True))
    else:
        assert one.cell is None and torch.allclose(one.state, tr.h_n, atol=1e-6)


def test_a_tokens_input_is_its_embedding_row():
    torch.manual_seed(0)
    task, model = build(resolve("doubling"))
    predictor = Predictor(model, task)
    for token in task.tokenize("2 4 8 16 7 x"):
        with torch.no_grad():
            want = model.embed(torch.tensor([[token.id]]))[0]
        assert torch.equal(predictor._step_input(token), want)


# Few distinct values: ties everywhere, across the cut too.
@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.3, 0.3000001]), min_size=1, max_size=40),
    k=st.integers(1, 8),
    skip=st.lists(st.integers(0, 39), max_size=3, unique=True),
)
def test_top_k_is_the_whole_vectors_top_k(values, k, skip):
    probs = torch.tensor(values, dtype=torch.float32)
    exact = probs.tolist()  # the float32 values, as the reference reads them
    assert top_k(probs, k, tuple(skip)) == full_top_k(exact, k, tuple(skip))


def test_a_steps_quantities_in_one_read_equal_them_one_by_one():
    torch.manual_seed(0)
    for preset in ("hello", "doubling"):  # an LSTM (with its cell) and a GRU
        task, model = build(resolve(preset))
        one, each = Predictor(model, task).feed("2 4 8"), Predictor(model, task).feed("2 4 8")
        for a, b in zip(one.steps, each.steps, strict=True):
            together = a.convert_all()
            assert set(together) == set(a.quantities()) and len(together) == 2 + len(a.gates) - (a.cell is None)
            assert all(together[what] == b.values(what) for what in b.quantities())


def test_specials_stay_out_of_the_softmax_whatever_their_logits():
    """<pad>, <unk>, <s> are at -inf even where a diverged network put inf or NaN there (an added
    -inf mask made those NaN, and the whole softmax with them)."""
    torch.manual_seed(0)
    task, model = build(resolve("char-lm"))
    predictor = Predictor(model, task)
    specials = list(predictor.specials())
    logits = torch.randn(len(task.out_vocab))
    logits[specials[0]] = float("inf")
    logits[specials[-1]] = float("nan")
    scores = predictor.without_specials(logits)
    assert all(scores[i] == float("-inf") for i in specials)
    probs = torch.softmax(scores, -1)
    assert torch.isfinite(probs).all() and abs(float(probs.sum()) - 1) < 1e-5
    assert torch.equal(logits[specials[0]], torch.tensor(float("inf")))  # the logits are not changed
