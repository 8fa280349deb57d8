"""What only a GPU can show, written to run on one: `pytest -m cuda` on a CUDA box.

Tests marked `cuda` are skipped where `torch.cuda.is_available()` is false. They check that training
never waits for the GPU between report points (CUDA's own sync checker, set to raise), that batches
reach the GPU from pinned memory without blocking, that the predictor keeps its own CPU copy, and that
the cuDNN kernels compute what the CPU trace shows (1e-4). The few tests here without the mark check
the CPU side of the same code: no pinning without CUDA, and `auto`'s order.
"""

from __future__ import annotations

import copy
import itertools
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import torch
from torch.overrides import TorchFunctionMode

from rnntui.core import device as device_mod
from rnntui.core import events as ev
from rnntui.core.experiment import build_model, build_task
from rnntui.core.model import fused_runner, make_rnn
from rnntui.core.predictor import Predictor
from rnntui.core.presets import resolve
from rnntui.core.spec import CELLS, set_value
from rnntui.core.tasks.data import Batch, move
from rnntui.core.trace import TraceRunner, trace_stack
from rnntui.core.trainer import Trainer
from test_trainer_syncs import PRESETS, counted_run

HAS_CUDA = torch.cuda.is_available()
cuda = pytest.mark.cuda
needs_cuda = pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA GPU: torch.cuda.is_available() is False")
TOLERANCE = 1e-4  # cuDNN against the CPU's step-by-step trace, float32 (TF32 off: core/device.py)


@contextmanager
def syncs_raise() -> Iterator[None]:
    """CUDA's sync checker raises at any call that makes the host wait for the GPU."""
    torch.cuda.set_sync_debug_mode("error")
    try:
        yield
    finally:
        torch.cuda.set_sync_debug_mode("default")


def on_cuda(preset: str):
    return set_value(resolve(preset), "train", "device", "cuda")


@cuda
@needs_cuda
@pytest.mark.parametrize("preset", PRESETS)
def test_a_hundred_steps_never_wait_for_the_gpu(preset):
    # The reports read their steps at once; inside the steps, any wait raises. The counter, too,
    # must find the CPU's count: the same code runs.
    counter, _ = counted_run(on_cuda(preset), guard=syncs_raise)
    assert counter.in_phase("step") == [], preset
    assert len(counter.calls) <= 10, (preset, counter.calls)


class Moves(TorchFunctionMode):
    """Every pin_memory and device move, with whether it blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.pinned = 0
        self.moves: list[bool] = []  # non_blocking of each .to(device)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        if func is torch.Tensor.pin_memory:
            self.pinned += 1
        elif func is torch.Tensor.to and isinstance(result, torch.Tensor) and result.device.type == "cuda":
            if args[0].device.type == "cpu":
                self.moves.append(bool(kwargs.get("non_blocking")) and args[0].is_pinned())
        return result


@cuda
@needs_cuda
@pytest.mark.parametrize("preset", ["hello", "sentiment", "spell-number", "translate"])
def test_batches_reach_the_gpu_pinned_and_without_blocking(preset):
    trainer = Trainer(on_cuda(preset))
    trainer._train_step()  # first-use work
    moves = Moves()
    with moves:
        trainer._train_step()
    assert moves.moves and all(moves.moves), moves.moves  # every host→GPU copy: from pinned memory, async
    assert moves.pinned >= 2  # x and y at least (decoder inputs, packing's order where there is one)


@cuda
@needs_cuda
def test_move_pins_a_host_tensor_for_cuda():
    t = torch.arange(6).view(2, 3)
    moves = Moves()
    with moves:
        out = move(t, torch.device("cuda"))
    assert out.device.type == "cuda" and torch.equal(out.cpu(), t)
    assert moves.pinned == 1 and moves.moves == [True]
    assert not t.is_pinned()  # the caller's tensor is left as it was


def test_move_does_not_pin_off_cuda():
    # Pinning needs CUDA: on a CPU-only build pin_memory() raises. The move is a no-op on the CPU.
    t = torch.arange(6)
    moves = Moves()
    with moves:
        out = move(t, torch.device("cpu"))
    assert out is t and moves.pinned == 0
    batch = Batch(x=t.view(2, 3), y=t.view(2, 3), lengths=torch.tensor([3, 2]))
    assert batch.to(torch.device("cpu")).lengths is batch.lengths  # lengths stay on the host


@cuda
@needs_cuda
def test_the_predictor_reads_its_own_cpu_copy():
    trainer = Trainer(on_cuda("hello"))
    trainer.run_until(lambda: False, None, every_s=0.1, steps=20)
    weights = trainer.cpu_state()
    assert all(t.device.type == "cpu" for t in weights.values())
    # As the predictor's process builds it (core/predictor_service.py, _build): a CPU model from the
    # copy the trainer sent.
    task = build_task(trainer.spec.task)
    model = build_model(trainer.spec, task)
    model.load_state_dict(weights)
    predictor = Predictor(model, task)
    assert predictor.device.type == "cpu"
    assert all(p.device.type == "cpu" for p in predictor.model.parameters())
    before = predictor.feed("HELL").output
    trainer.run_until(lambda: False, None, every_s=0.1, steps=60)  # training goes on, on the GPU
    assert predictor.feed("HELL").output == before  # until the next copy, the predictor is unchanged
    moved = {k for k, v in trainer.cpu_state().items() if not torch.equal(v, weights[k])}
    assert moved, "the trained weights did change"


@cuda
@needs_cuda
def test_the_apps_training_process_trains_on_the_gpu(tmp_path):
    # The app trains in a child of a fork server: CUDA must start there (never in a forked copy of a
    # process that already holds a CUDA context), and the weights it sends the app arrive on the CPU.
    import queue

    from rnntui.core import trainer_protocol as proto
    from rnntui.core.trainer_client import TrainerClient

    replies: queue.Queue[proto.Reply] = queue.Queue()
    client = TrainerClient(replies.put)

    def next_of(kind: type[proto.Reply]) -> proto.Reply:
        while True:
            reply = replies.get(timeout=120)
            assert not isinstance(reply, (proto.StartFailed, proto.RunFailed, proto.Crashed, proto.Lost)), reply
            if isinstance(reply, kind):
                return reply

    client.start(proto.Order(spec=resolve("hello")))  # the preset's own device: auto
    ready = next_of(proto.Ready)
    assert ready.device.startswith("cuda"), ready.device
    client.request(proto.Run(0.1, str(tmp_path), steps=200))
    finished = None
    while finished is None:
        reply = next_of(proto.Event)
        if isinstance(reply.event, ev.Finished):
            finished = reply.event
    assert finished.step == 200
    client.request(proto.WantWeights(True))
    weights = next_of(proto.WeightsCopy).weights
    assert all(t.device.type == "cpu" for t in weights.values())
    client.close()
    next_of(proto.Closed)


def max_diff(a, b) -> float:
    if isinstance(a, tuple):
        return max(max_diff(x, y) for x, y in zip(a, b, strict=True))
    return float((a.detach().cpu() - b.detach().cpu()).abs().max())


@cuda
@needs_cuda
@pytest.mark.parametrize(("cell", "bi", "layers"), list(itertools.product(CELLS, (False, True), (1, 2, 3))))
@pytest.mark.parametrize("packed", [False, True])
def test_cudnn_equals_the_cpu_trace(cell, bi, layers, packed):
    device_mod.resolve_device("cuda")  # the settings the app trains under
    torch.manual_seed(1)
    rnn = make_rnn(cell, 5, 32, layers, bi, 0.0).eval()
    gpu = copy.deepcopy(rnn).cuda()
    x = torch.randn(6, 40, 5)
    h0 = torch.randn(layers * (2 if bi else 1), 6, 32)
    state = (h0, torch.randn_like(h0)) if cell == "lstm" else h0
    lengths = torch.tensor([40, 3, 17, 40, 1, 25]) if packed else None
    with torch.no_grad():
        gpu_state = tuple(s.cuda() for s in state) if isinstance(state, tuple) else state.cuda()
        out, h_n = fused_runner(gpu, x.cuda(), gpu_state, lengths, "rnn")
        tr = trace_stack(rnn, x, state, lengths)
    assert max_diff(out, tr.output) <= TOLERANCE
    assert max_diff(h_n, tr.h_n) <= TOLERANCE


@cuda
@needs_cuda
@pytest.mark.parametrize("preset", ["translate", "attention", "spell-number", "pos-tagging", "sentiment"])
def test_whole_models_on_cuda_equal_the_cpu_trace(preset):
    # Encoder-decoder (bidirectional encoder, bridge, with and without attention), one→many, tagging
    # and packed classification: the trained network's output, fused on the GPU vs traced on the CPU.
    spec = resolve(preset)
    device_mod.resolve_device("cuda")
    torch.manual_seed(0)
    task = build_task(spec.task)
    model = build_model(spec, task).eval()
    batch = task.train_batch(0, 16, 0)
    with torch.no_grad():
        fused = copy.deepcopy(model).cuda()(batch.to(torch.device("cuda")))
        traced = model(batch, runner=TraceRunner())
    assert max_diff(fused, traced) <= TOLERANCE


def test_auto_prefers_cuda_then_mps_then_cpu(monkeypatch):
    class Mps:
        available = True

        @classmethod
        def is_available(cls) -> bool:
            return cls.available

    tf32 = torch.backends.cudnn.allow_tf32
    monkeypatch.setattr(torch.backends, "mps", Mps, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    try:
        torch.backends.cudnn.allow_tf32 = True
        assert device_mod.resolve_device("auto").type == "cuda"
        assert torch.backends.cudnn.allow_tf32 is False  # float32 RNNs stay float32 on cuDNN
        monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
        assert device_mod.resolve_device("auto").type == "mps"
        Mps.available = False
        assert device_mod.resolve_device("auto").type == "cpu"
    finally:
        torch.backends.cudnn.allow_tf32 = tf32


@pytest.mark.skipif(HAS_CUDA, reason="checks the message a machine without CUDA gives")
def test_cuda_asked_for_without_one_says_so():
    with pytest.raises(device_mod.SpecError, match="no CUDA GPU is visible"):
        device_mod.resolve_device("cuda")


def load_gpu_benchmark():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu.py"
    spec = importlib.util.spec_from_file_location("gpu_benchmark", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


def test_the_gpu_benchmark_runs_on_the_cpu(capsys):
    gpu = load_gpu_benchmark()
    assert set(gpu.shipped_presets()) == set(PRESETS)
    assert gpu.main(["--device", "cpu", "--steps", "2", "--repeats", "1", "--presets", "hello,spell-number"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("date ") and "device cpu" in lines[0] and lines[1].startswith("torch ")
    title = next(i for i, line in enumerate(lines) if line.startswith("preset"))
    rows = [line.split() for line in lines[title + 1 :]]
    assert [r[0] for r in rows] == ["hello", "spell-number"]
    for _, bare, trainer, ratio, verdict in rows:
        assert float(bare) > 0 and float(trainer) > 0 and verdict in ("met", "MISSED")
        assert abs(float(ratio) - float(trainer) / float(bare)) < 0.01


@pytest.mark.skipif(HAS_CUDA, reason="checks the fallback a machine without CUDA takes")
def test_the_gpu_benchmark_falls_back_to_the_cpu_saying_so():
    gpu = load_gpu_benchmark()
    device, note = gpu.pick_device("cuda")
    assert device.type == "cpu" and note is not None and "no CUDA GPU" in note
    assert gpu.pick_device("cpu") == (torch.device("cpu"), None)
