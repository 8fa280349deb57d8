"""What a prediction looks at: ‖∂ target / ∂ x_t‖ for every fed token (after Distill's
"Memorization in RNNs", 2019).

x_t is what the recurrent stack reads at step t: the token's embedding for token inputs, the
input vector itself for vector inputs (the adding problem's value and marker). The target is the
number the Predict view shows as the answer, per family:

    next token (LM)   log p of the top next token (never a special token, as the view ranks them)
    tags              log p of the last token's top tag (what the latest keystroke changed)
    class             log p of the top class of the whole prefix
    forecast          the forecast value itself (∂ŷ/∂x_t; the series' scale cancels in the scaling)
    translate         the sum of log p of the greedy decoded sequence, its end token included:
                      the whole translation, not only its first word, so a source word the decoder
                      uses late still counts
    one→many          not applicable: the network reads one input

The norms are scaled per prefix so the largest is 1; `scale` keeps that largest norm. The gradient
runs through the model's fused kernels (the same network the predictor traces, which tests hold
equal to 1e-5) under torch.enable_grad on a CPU copy, and through torch.autograd.grad, so the
model's own .grad is never touched. Only the fed window's tokens count: one value per fed token.
"""

from __future__ import annotations

import copy

import torch

from rnntui.core.model import SequenceModel, State
from rnntui.core.tasks.base import Task
from rnntui.core.tasks.data import Token
from rnntui.core.tasks.kinds import Family, InputKind
from rnntui.core.trace_table import Saliency

NOT_APPLICABLE = "not applicable: a one→many network reads one input"


def saliency(model: SequenceModel, task: Task, fed: list[Token]) -> Saliency:
    """‖∂ target / ∂ x_t‖ for every fed token, scaled so the largest is 1 (see the module's doc)."""
    if task.family is Family.GENERATE:
        return Saliency((), NOT_APPLICABLE, 0.0, applicable=False)
    if not fed:
        return Saliency((), "nothing typed", 0.0)
    if next(model.parameters()).device.type != "cpu":  # a copy: cuDNN has no backward in eval mode
        model = copy.deepcopy(model).cpu()
    with torch.enable_grad():
        leaf, x = _inputs(model, task, fed)
        target, label = _target(model, task, x)
        grad = torch.autograd.grad(target, leaf, allow_unused=True)[0] if target.requires_grad else None
    if grad is None:  # the target does not depend on the input (a decoder that ignores its state)
        return Saliency((0.0,) * len(fed), label, 0.0)
    norms = torch.nan_to_num(grad[0].float().norm(dim=-1), nan=0.0, posinf=0.0)
    top = float(norms.max())
    values = (norms / top).tolist() if top > 0 else [0.0] * len(fed)
    return Saliency(tuple(values), label, top)


def _inputs(model: SequenceModel, task: Task, fed: list[Token]) -> tuple[torch.Tensor, torch.Tensor]:
    """(the tensor differentiated against, the stack's input (1, T, E)): the embedding output for
    tokens, the raw input vectors (before the input layer) for vectors."""
    if task.input_kind is InputKind.TOKENS:
        ids = torch.tensor([[t.id for t in fed]], dtype=torch.long)
        leaf = model.embed(ids).detach().requires_grad_(True)
        return leaf, leaf
    dim = task.input_dim
    vals = [list(t.value or (0.0,) * dim) for t in fed]
    leaf = torch.tensor([vals], dtype=torch.float32).view(1, len(fed), dim).requires_grad_(True)
    return leaf, model.embed(leaf)


def _target(model: SequenceModel, task: Task, x: torch.Tensor) -> tuple[torch.Tensor, str]:
    """The scalar whose gradient is taken, and what it is in words."""
    family = task.family
    if family is Family.TRANSLATE:
        _, h_n = model.rnn(x, None)
        return _decoded_log_p(model, model.bridge_state(h_n), task.max_output)
    seq, h_n = model.rnn(x, None)
    if model.pattern == "many_to_many":
        out = model.head(seq[0, -1])
    else:
        out = model._squeeze(model.head(model.final_features(h_n)))[0]
    if family is Family.FORECAST:
        return out.reshape(-1)[0], "forecast"
    scores = out.float()
    if family is Family.NEXT_TOKEN:  # the top next token as the view ranks it: never a special one
        scores = scores.clone()
        scores[list(_specials(task))] = float("-inf")
    log_p = torch.log_softmax(scores, -1)
    top = int(log_p.argmax())
    vocab = task.out_vocab
    assert vocab is not None
    return log_p[top], f"log p({vocab.itos[top]})"


def _specials(task: Task) -> tuple[int, ...]:
    vocab = task.out_vocab
    assert vocab is not None
    return tuple(i for i in (vocab.pad, vocab.unk, vocab.bos) if i is not None)


def _decoded_log_p(model: SequenceModel, state: State, max_output: int) -> tuple[torch.Tensor, str]:
    """Greedy decoding as the predictor does it, summing log p of every token it writes."""
    inp = torch.full((1, 1), model.bos, dtype=torch.long)
    total = torch.zeros(())
    for _ in range(max_output):
        seq, state = model.decoder(model.dec_embed(inp), state)
        log_p = torch.log_softmax(model.head(seq[0, -1]).float(), -1)
        nxt = int(log_p.argmax())
        total = total + log_p[nxt]
        if nxt == model.eos:
            break
        inp = torch.tensor([[nxt]])
    return total, "Σ log p(output)"


def marked_top_two(model: SequenceModel, task: Task, x: torch.Tensor) -> float:
    """The adding lesson's check: of the sequences in `x` ((N, T, 2): value, marker), the share whose
    two marked steps are the two most salient inputs."""
    hits = 0
    for seq in x:
        fed = [Token(f"{v:g}", 0, 0, value=(v, m)) for v, m in seq.tolist()]
        values = saliency(model, task, fed).values
        top_two = sorted(range(len(values)), key=lambda t: -values[t])[:2]
        hits += set(top_two) == set(torch.nonzero(seq[:, 1]).flatten().tolist())
    return hits / max(1, len(x))


def saliency_json(sal: Saliency, window_start: int) -> dict[str, object]:
    """What `rnntui predict --saliency --json` adds: one number per token of the prefix (0 for the
    tokens before the window, which are not fed), or null where it does not apply (one→many)."""
    values = [0.0] * window_start + list(sal.values) if sal.applicable else None
    return {"saliency": values, "saliency_of": sal.target}
