"""What the prediction looks at (issue 16, part 2): ‖∂ target / ∂ x_t‖ per fed token, scaled per prefix."""

from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from helpers import tiny
from rnntui.core.experiment import build
from rnntui.core.predictor import Predictor
from rnntui.core.saliency import NOT_APPLICABLE, saliency
from rnntui.core.tasks.data import Batch

HYPO = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def make(task: str, params: dict | None = None, **model) -> Predictor:
    t, m = build(tiny(task, params or {}, **model))
    return Predictor(m, t, top_k=3)


PREDICTORS = {
    "lm": make("char_lm", {"corpus": "hello", "case": "upper", "seq_len": 12}, cell="lstm", num_layers=2),
    "tag": make("pos_tagging", {"sentences": 300}, bidirectional=True),
    "classify": make("sentiment", pattern="many_to_one", cell="gru"),
    "regress": make("sine", {"seq_len": 10}, pattern="many_to_one", cell="gru"),
    "adding": make("adding", {"seq_len": 10}, pattern="many_to_one", cell="rnn_tanh"),
    "generate": make("spell_number", pattern="one_to_many"),
    "seq2seq": make("translate", {"train_pairs": 400}, pattern="encoder_decoder", bidirectional=True, cell="lstm"),
    "seq2seq-uni": make("translate", {"train_pairs": 400}, pattern="encoder_decoder", cell="gru"),
}
TEXT = {
    "lm": "HELLO WORLD",
    "tag": "the dog sees a cat",
    "classify": "the movie was not good",
    "regress": "0.1 0.5 0.9 0.2",
    "adding": "0.5 0.2* 0.1 0.7* 0.3",
    "generate": "342",
    "seq2seq": "the cat sees a dog",
    "seq2seq-uni": "the cat sees a dog",
}


def without_memory(p: Predictor) -> Predictor:
    """A copy whose state after a step depends on that step's input only: recurrent weights zero, and
    LSTM's forget gate and GRU's update gate (both rows H:2H) shut, so nothing is carried over."""
    t, m = build(tiny(p.task.name, dict(p.task.p), **_model_args(p)))
    m.load_state_dict(p.model.state_dict())
    with torch.no_grad():
        for name, param in m.rnn.named_parameters():
            if name.startswith("weight_hh"):
                param.zero_()
            elif name.startswith("bias_") and p.model.spec.cell in ("lstm", "gru"):
                h = p.model.spec.hidden_size
                param[h : 2 * h] = -1e4 if name.startswith("bias_ih") else 0.0
    return Predictor(m, t)


def _model_args(p: Predictor) -> dict:
    s = p.model.spec
    return {"cell": s.cell, "pattern": s.pattern, "num_layers": s.num_layers, "bidirectional": s.bidirectional}


@pytest.mark.parametrize("name", ["lm", "classify", "adding", "regress"])
def test_a_network_without_memory_looks_only_at_the_last_input(name):
    p = without_memory(PREDICTORS[name])
    sal = p.saliency(TEXT[name])
    assert len(sal.values) == len(p.task.tokenize(TEXT[name]))
    assert sal.values[-1] == 1.0 and all(v == 0.0 for v in sal.values[:-1])


def test_the_norms_are_the_gradient_of_the_forecast_checked_by_finite_differences():
    p = PREDICTORS["adding"]
    fed = p.task.tokenize("0.5 0.2* 0.1 0.7* 0.3 0.9")
    sal = saliency(p.model, p.task, fed)
    x = torch.tensor([[list(t.value) for t in fed]])

    def forecast(inp: torch.Tensor) -> float:
        with torch.no_grad():
            return float(p.model(Batch(x=inp, y=torch.zeros(1))))

    eps, norms = 1e-2, []
    for t in range(len(fed)):
        grad = []
        for d in range(2):
            up, down = x.clone(), x.clone()
            up[0, t, d] += eps
            down[0, t, d] -= eps
            grad.append((forecast(up) - forecast(down)) / (2 * eps))
        norms.append(float(torch.tensor(grad).norm()))
    expected = torch.tensor(norms) / max(norms)
    assert torch.allclose(torch.tensor(sal.values), expected, atol=2e-3)
    assert sal.scale == pytest.approx(max(norms), rel=1e-2)


@pytest.mark.parametrize("name", [n for n in PREDICTORS if n != "generate"])
def test_every_family_gives_one_value_per_fed_token_scaled_to_one(name):
    p = PREDICTORS[name]
    sal = p.saliency(TEXT[name])
    assert sal.applicable and len(sal.values) == len(p.task.tokenize(TEXT[name]))
    assert max(sal.values) == 1.0 and all(0.0 <= v <= 1.0 for v in sal.values)
    assert sal.scale > 0
    assert all(param.grad is None for param in p.model.parameters())  # autograd.grad: no .grad left behind


def test_the_target_is_the_prediction_the_view_shows():
    for name, words in (("lm", "HELL"), ("classify", "the movie was good")):
        p = PREDICTORS[name]
        assert p.saliency(words).target == f"log p({p.feed(words).output.top[0].label})"
    tags = PREDICTORS["tag"].feed("the dog sees").output.tags
    assert PREDICTORS["tag"].saliency("the dog sees").target == f"log p({tags[-1].tag})"
    assert PREDICTORS["regress"].saliency("0.1 0.2").target == "forecast"
    assert PREDICTORS["seq2seq"].saliency("the cat").target == "Σ log p(output)"


def test_one_to_many_reads_one_input_so_it_is_not_applicable():
    sal = PREDICTORS["generate"].saliency("342")
    assert not sal.applicable and sal.values == () and sal.target == NOT_APPLICABLE


@pytest.mark.parametrize("name", [n for n in PREDICTORS if n != "generate"])
def test_an_empty_prefix_looks_at_nothing(name):
    sal = PREDICTORS[name].saliency("")
    assert sal.applicable and sal.values == () and sal.scale == 0.0


def test_only_the_window_is_fed():
    p = make("char_lm", {"corpus": "hello", "case": "upper", "seq_len": 12})
    p.window = 16
    sal = p.saliency("HELLO WORLD " * 10)
    assert len(sal.values) == 16


def test_the_fused_gradient_equals_the_traced_networks():
    """The saliency runs the fused kernels; the traced network (the heatmap's) gives the same gradient."""
    from rnntui.core.trace import trace_stack

    p = PREDICTORS["lm"]
    fed = p.task.tokenize("HELLO WOR")
    sal = saliency(p.model, p.task, fed)
    leaf = p.model.embed(torch.tensor([[t.id for t in fed]])).detach().requires_grad_(True)
    logits = p.model.head(trace_stack(p.model.rnn, leaf, None).output[0, -1])
    log_p = torch.log_softmax(p.without_specials(logits), -1)
    (grad,) = torch.autograd.grad(log_p.max(), leaf)
    norms = grad[0].norm(dim=-1)
    assert torch.allclose(torch.tensor(sal.values), norms / norms.max(), atol=1e-5)


def test_a_diverged_network_gives_zeros_not_nan():
    p = make("adding", {"seq_len": 10}, pattern="many_to_one", cell="rnn_tanh")
    with torch.no_grad():
        p.model.head.weight.fill_(float("nan"))
    sal = p.saliency("0.5 0.2* 0.1")
    assert sal.values == (0.0, 0.0, 0.0)


@HYPO
@given(st.text(max_size=40))
@example("")
@example("0.5* 1e400 nan -inf")
@pytest.mark.parametrize("name", list(PREDICTORS))
def test_any_text_never_raises(name, text):
    p = PREDICTORS[name]
    sal = p.saliency(text)
    assert all(0.0 <= v <= 1.0 for v in sal.values)
    if p.task.family.value != "generate":
        assert len(sal.values) == len(p.task.tokenize(text))
