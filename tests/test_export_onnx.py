"""The ONNX graphs: dynamic batch and sequence axes, equal to PyTorch at other sizes than the example's
(attention's padded source masked), and the onnxruntime runner (greedy loop included, attention's weights
too) predicting what the predictor does."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from export_helpers import PATTERNS, close, need, program_data, randomised
from rnntui.core.experiment import build_model, build_task
from rnntui.core.export_onnx import Encoder, Outputs, Step, attends, onnx_graphs
from rnntui.core.export_program import program
from rnntui.core.predictor import Predictor

onnx = need("onnx")
ort = need("onnxruntime")
from rnntui.exported import onnx_predict as op  # noqa: E402  (it imports onnxruntime: after the line above)
from rnntui.exported.shared import predict  # noqa: E402


def exported(spec):
    task = build_task(spec.task)
    model = randomised(build_model(spec, task), 5)
    return task, model, onnx_graphs(model, task.reads_tokens, task.input_dim)


def session(blob: bytes):
    return ort.InferenceSession(blob, providers=["CPUExecutionProvider"])


def example(task, model, b: int, t: int, g: torch.Generator) -> torch.Tensor:
    if model.pattern == "one_to_many":
        return torch.rand(b, task.input_dim, generator=g)
    if task.reads_tokens:
        return torch.randint(0, len(task.in_vocab), (b, t), generator=g)
    return torch.randn(b, t, task.input_dim, generator=g)


@pytest.mark.parametrize("spec", [p[1] for p in PATTERNS], ids=[p[0] for p in PATTERNS])
def test_graphs_have_dynamic_axes_and_equal_pytorch(spec):
    task, model, graphs = exported(spec)
    first = onnx.load_from_string(next(iter(graphs.values())))
    dims = [d.dim_param for d in first.graph.input[0].type.tensor_type.shape.dim]
    assert dims[0] == "batch" and (model.pattern == "one_to_many" or dims[1] == "steps")
    g = torch.Generator().manual_seed(2)
    for b, t in [(1, 1), (3, 5), (2, 11)]:  # the export traced (2, 3), and a decoder step a source of 4
        x = example(task, model, b, t, g)
        with torch.no_grad():
            if "network" in graphs:
                want = Outputs(model)(x).numpy()
                got = session(graphs["network"]).run(None, {"x": x.numpy()})[0]
                assert got.shape == want.shape and np.abs(got - want).max() < 1e-5
                continue
            encoded = Encoder(model)(x)  # h[, c][, memory]
            got_encoded = session(graphs["encoder"]).run(None, {"x": x.numpy()})
            assert all(np.abs(a - s.numpy()).max() < 1e-5 for a, s in zip(got_encoded, encoded, strict=True))
            token = torch.randint(0, model.out_size, (b, 1), generator=g)
            step_in = [token, *encoded]
            if attends(model):  # a padded batch: each sequence's own length, the rest masked out
                step_in.append(torch.arange(t).expand(b, t) < torch.randint(1, t + 1, (b, 1), generator=g))
            want = Step(model)(*step_in)
            names = [i.name for i in session(graphs["decoder"]).get_inputs()]
            got = session(graphs["decoder"]).run(None, dict(zip(names, [a.numpy() for a in step_in], strict=True)))
            assert all(np.abs(a - w.numpy()).max() < 1e-5 for a, w in zip(got, want, strict=True))
            if attends(model):  # where it looked: the real steps only, summing to 1
                assert (got[-1][~step_in[-1].numpy()] == 0).all() and np.allclose(got[-1].sum(-1), 1, atol=1e-6)


@pytest.mark.parametrize(("spec", "prefix"), [p[1:] for p in PATTERNS], ids=[p[0] for p in PATTERNS])
def test_the_runner_predicts_what_the_predictor_does(spec, prefix, tmp_path, monkeypatch):
    task, model, graphs = exported(spec)
    names = {role: f"n.{role}.onnx" for role in graphs}
    for role, blob in graphs.items():
        (tmp_path / names[role]).write_bytes(blob)
    monkeypatch.setattr(op, "DATA", program_data(program("onnx", "run", spec, task, names, graphs)))
    got = predict(lambda: op.load(str(tmp_path)), prefix, op.DATA, 3)
    close(got, Predictor(model, task, top_k=3).feed(prefix).to_json(), tol=1e-5)
