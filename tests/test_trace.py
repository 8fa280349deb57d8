"""The step-wise trace must equal the fused kernels for every cell, direction and depth."""

from __future__ import annotations

import itertools

import pytest
import torch

from rnntui.core.model import fused_runner, make_rnn
from rnntui.core.spec import CELLS
from rnntui.core.trace import trace_stack

CASES = list(itertools.product(CELLS, (False, True), (1, 2, 3)))
TOLERANCE = {torch.float32: 1e-5, torch.float64: 1e-10}


def max_diff(a, b) -> float:
    if isinstance(a, tuple):
        return max(max_diff(x, y) for x, y in zip(a, b, strict=True))
    return float((a - b).abs().max())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("cell", "bi", "layers"), CASES)
def test_trace_equals_fused(cell, bi, layers, dtype):
    torch.manual_seed(1)
    rnn = make_rnn(cell, 5, 7, layers, bi, 0.0).to(dtype).eval()
    x = torch.randn(3, 9, 5, dtype=dtype)
    dirs = 2 if bi else 1
    h0 = torch.randn(layers * dirs, 3, 7, dtype=dtype)
    state = (h0, torch.randn_like(h0)) if cell == "lstm" else h0
    with torch.no_grad():
        out, h_n = rnn(x, state)
        tr = trace_stack(rnn, x, state)
    tol = TOLERANCE[dtype]
    assert max_diff(tr.output, out) <= tol
    assert max_diff(tr.h_n, h_n) <= tol
    # Each layer's per-step h is what the next layer reads; the last layer's is the output.
    top = torch.cat([lt.h for lt in tr.layers[-1]], dim=-1)
    assert max_diff(top, out) <= tol
    if cell == "lstm":
        assert all(lt.c is not None and set(lt.gates) == {"i", "f", "g", "o"} for row in tr.layers for lt in row)
        # The fused kernel gives c only at the end: the trace's last c must match it.
        last_c = torch.stack([lt.c[:, -1] if lt.direction == 0 else lt.c[:, 0] for row in tr.layers for lt in row])
        assert max_diff(last_c, h_n[1]) <= tol
    if cell == "gru":
        assert set(tr.layers[0][0].gates) == {"r", "z", "n"}


@pytest.mark.parametrize(("cell", "bi"), list(itertools.product(CELLS, (False, True))))
def test_trace_equals_packed_sequences(cell, bi):
    torch.manual_seed(2)
    rnn = make_rnn(cell, 4, 6, 2, bi, 0.0).eval()
    x = torch.randn(4, 8, 4)
    lengths = torch.tensor([8, 3, 5, 1])
    with torch.no_grad():
        out, h_n = fused_runner(rnn, x, None, lengths, "rnn")
        tr = trace_stack(rnn, x, None, lengths)
    assert max_diff(tr.output, out) <= 1e-5
    assert max_diff(tr.h_n, h_n) <= 1e-5


def test_gru_uses_pytorch_reset_gate_placement():
    """PyTorch applies r to (W_hn h + b_hn); the textbook form r * h inside W_hn differs."""
    torch.manual_seed(3)
    rnn = make_rnn("gru", 3, 4, 1, False, 0.0).eval()
    x = torch.randn(2, 6, 3)
    with torch.no_grad():
        out, _ = rnn(x)
        tr = trace_stack(rnn, x)
        w_ih, w_hh, b_ih, b_hh = rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0
        h = torch.zeros(2, 4)
        for t in range(6):
            xr, xz, xn = (x[:, t] @ w_ih.T + b_ih).chunk(3, -1)
            hr, hz, _ = (h @ w_hh.T + b_hh).chunk(3, -1)
            r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
            n = torch.tanh(xn + (r * h) @ w_hh[8:].T + b_hh[8:])  # textbook variant
            h = (1 - z) * n + z * h
    assert max_diff(tr.output, out) <= 1e-5
    assert max_diff(h, out[:, -1]) > 1e-3
