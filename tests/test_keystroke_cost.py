"""A keystroke's work does not grow with the prefix (issue 15, target 4): counted, not timed.

One more token costs one recurrent step and converts one step's values to plain numbers, and the
heatmap converts one new row, whether the prefix is 2 tokens long or 200. The predictor
answers the next token before the continuation, and a continuation for a prefix typed over stops.
"""

from __future__ import annotations

import queue

import pytest
import torch
from textual.app import App, ComposeResult
from torch.overrides import TorchFunctionMode

from rnntui.app.widgets import heat_layout
from rnntui.app.widgets.heat_layout import heat_rows
from rnntui.app.widgets.heatmap import Heatmap
from rnntui.core import one_step, trace
from rnntui.core.experiment import build
from rnntui.core.outputs import NextToken
from rnntui.core.predictor import Cancelled, Predictor
from rnntui.core.presets import resolve

TEXT = "HELLO WORLD LSTM MEMORY STATE " * 10


class Converted(TorchFunctionMode):
    """Counts tensor elements turned into Python numbers (tolist, item)."""

    def __init__(self) -> None:
        super().__init__()
        self.elements = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in (torch.Tensor.tolist, torch.Tensor.item):
            self.elements += args[0].numel()
        return func(*args, **(kwargs or {}))


def one_keystroke(predictor: Predictor, n: int, monkeypatch, text: str = TEXT) -> tuple[int, int]:
    """(recurrent steps run, tensor elements converted) for typing the n-th character after n-1."""
    predictor.feed(text[: n - 1]).table()
    steps = []
    step = trace.cell_step
    counted = lambda *a: steps.append(1) or step(*a)  # noqa: E731
    # A keystroke runs its steps by core/one_step.py; a whole re-read by trace.py.
    monkeypatch.setattr(trace, "cell_step", counted)
    monkeypatch.setattr(one_step, "cell_step", counted)
    with Converted() as converted:
        predictor.feed(text[:n]).table()
    monkeypatch.setattr(trace, "cell_step", step)
    monkeypatch.setattr(one_step, "cell_step", step)
    return len(steps), converted.elements


@pytest.mark.parametrize("preset", ["hello", "char-lm"])
def test_one_more_token_costs_the_same_at_200_as_at_2(preset, monkeypatch) -> None:
    torch.manual_seed(0)
    task, model = build(resolve(preset))
    predictor = Predictor(model, task)
    short = one_keystroke(predictor, 3, monkeypatch)
    long = one_keystroke(predictor, 201, monkeypatch)
    assert long == short
    assert short[0] == model.spec.num_layers  # one step in each layer


def test_a_bidirectional_stack_rereads_the_prefix(monkeypatch) -> None:
    """The documented exception: its backward half starts at the prefix's end."""
    from rnntui.core.spec import set_value

    spec = set_value(resolve("sentiment"), "model", "bidirectional", True)
    task, model = build(spec)
    predictor = Predictor(model, task)
    assert not predictor.incremental
    words = "the film was good and " * 10  # a new word at each even length
    assert one_keystroke(predictor, 201, monkeypatch, words)[0] > one_keystroke(predictor, 5, monkeypatch, words)[0]


class HeatApp(App):
    def compose(self) -> ComposeResult:
        yield Heatmap(id="heatmap")


async def test_the_heatmap_converts_only_the_new_row(monkeypatch) -> None:
    rows = [tuple((t * 7 + u) % 19 / 10 - 0.9 for u in range(64)) for t in range(201)]
    tokens = [chr(65 + t % 26) for t in range(201)]
    built: list[int] = []
    row = heat_layout.heat_row
    monkeypatch.setattr(heat_layout, "heat_row", lambda *a: built.append(1) or row(*a))

    async def new_rows(n: int) -> int:
        async with HeatApp().run_test(size=(160, 60)) as pilot:
            shown = pilot.app.query_one(Heatmap)
            shown.show(heat_rows(rows[: n - 1], tokens, width=150))
            built.clear()
            shown.show(heat_rows(rows[:n], tokens, width=150))
            await pilot.pause()
            assert shown.plain.splitlines()[-1].split()[0] == tokens[n - 1]
            return len(built)

    assert await new_rows(201) == await new_rows(3) == 1


def test_a_continuation_stops_when_asked_and_only_a_continuation_asks() -> None:
    torch.manual_seed(0)
    task, model = build(resolve("hello"))
    predictor = Predictor(model, task)
    asked = []
    out = predictor.feed("HELL", cancelled=lambda: asked.append(1) or True).output
    assert isinstance(out, NextToken) and out.top and asked == []  # no continuation: nothing to stop
    with pytest.raises(Cancelled):
        predictor.feed("HELL", generate=40, cancelled=lambda: True)
    whole = predictor.feed("HELL", generate=40).output
    assert isinstance(whole, NextToken) and len(whole.continuation) == 40


def test_the_predictor_answers_the_next_token_before_the_continuation() -> None:
    from predictor_helpers import ServiceThread

    from rnntui.core.predictor_client import Read
    from rnntui.core.predictor_protocol import Feed, Network
    from rnntui.core.trainer import Trainer
    from rnntui.core.trainer_protocol import Weights

    trainer = Trainer(resolve("hello"))
    answers: queue.Queue[Read] = queue.Queue()
    thread = ServiceThread(lambda m: answers.put(m) if isinstance(m, Read) else None)
    thread.request(Network(trainer.spec, trainer.task.state(), Weights(trainer.cpu_state())))
    try:
        thread.request(Feed("HELL"))
        first, second = answers.get(timeout=60), answers.get(timeout=60)
    finally:
        thread.close()
    assert first.partial and first.prefix == "HELL" and first.view.output.top
    assert first.view.output.continuation == "" and first.table.saliency is None
    assert not second.partial and second.prefix == "HELL"
    assert second.view.output.continuation and second.table.saliency is not None
    assert second.view.output.top == first.view.output.top
    assert second.table.tokens == first.table.tokens == ("H", "E", "L", "L")  # the first's rows, kept


class Calls(TorchFunctionMode):
    """Counts every torch function a keystroke calls."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.calls += 1
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize(
    "preset, words",
    [("sentiment", "the film was good and not bad " * 20), ("sine", " ".join(f"{i % 7 / 7:.2f}" for i in range(200)))],
    ids=["class-per-step", "forecast-per-step"],
)
def test_a_per_step_reading_is_one_tensor_op_at_any_length(preset, words) -> None:
    """A class per step (many→one) and a forecast per step: each step's output was read with its
    own softmax or element read, so a keystroke at step 120 made ~600 torch calls where one at step
    3 made ~80 (1.1–3.7 ms at 400–512 tokens, benchmarks/predict_latency.py)."""
    torch.manual_seed(0)
    task, model = build(resolve(preset))
    predictor = Predictor(model, task)
    assert predictor.incremental
    tokens = words.split(" ")
    calls = []
    for n in (3, 120):
        predictor.feed(" ".join(tokens[: n - 1])).table()
        with Calls() as counted:
            predictor.feed(" ".join(tokens[:n])).table()
        calls.append(counted.calls)
    assert calls[0] == calls[1]


@pytest.mark.parametrize(
    "preset, words",
    [("sentiment", "the film was good and not bad " * 20), ("sine", " ".join(f"{i % 7 / 7:.2f}" for i in range(200)))],
    ids=["class-per-step", "forecast-per-step"],
)
def test_a_key_reads_its_new_step_only_and_reads_as_a_fresh_predictor(preset, words, monkeypatch) -> None:
    """Each step's class or forecast is made once, when the step is: a key at step 120 read all 120
    again (one softmax, but 120 stacked tensors and 120 new objects)."""
    from rnntui.core import readers

    torch.manual_seed(0)
    task, model = build(resolve(preset))
    predictor = Predictor(model, task)
    tokens = words.split(" ")
    for n in range(1, 121):  # typed a word at a time
        predictor.feed(" ".join(tokens[:n]))
    read: list[int] = []
    top_each, denormalise = readers.top_each, task.denormalise
    monkeypatch.setattr(readers, "top_each", lambda p, outs: read.append(len(outs)) or top_each(p, outs))
    monkeypatch.setattr(task, "denormalise", lambda v: read.append(1) or denormalise(v))
    typed = " ".join(tokens[:121])
    got = predictor.feed(typed).output
    assert read == [1], read
    fresh = Predictor(model, task).feed(typed).output
    if preset == "sine":
        assert len(got.values) == 121 and got.values == pytest.approx(fresh.values, abs=1e-5)
    else:
        assert [r.label for r in got.per_step] == [r.label for r in fresh.per_step] and len(got.per_step) == 121
        assert [r.p for r in got.per_step] == pytest.approx([r.p for r in fresh.per_step], abs=1e-5)
