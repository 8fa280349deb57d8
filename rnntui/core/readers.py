"""From the network's outputs to a prediction, one reader per family of task (tasks/kinds.py).

The Predictor feeds the prefix and keeps its per-step trace; the task's family picks the reader
here (READERS, the one place), which turns the head's outputs into the typed output
(core/outputs.py). Generators (one→many) read no prefix steps: their steps are the decoder's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import torch

from rnntui.core.outputs import (
    ClassOfPrefix,
    Forecast,
    NextToken,
    Output,
    Produced,
    Ranked,
    Tag,
    TagPerToken,
    Translated,
)
from rnntui.core.prediction import StepView, step_views
from rnntui.core.tasks.data import Token
from rnntui.core.tasks.kinds import Family
from rnntui.core.trace import TraceRunner

if TYPE_CHECKING:
    from rnntui.core.model import State
    from rnntui.core.predictor import Predictor


@dataclass(frozen=True)
class ReadOptions:
    generate: int = 0  # tokens of continuation for a language model
    temperature: float = 1.0
    seed: int = 0


@dataclass
class Read:
    """What a reader made of the fed tokens: the steps to show and the output."""

    steps: list[StepView]
    output: Output
    notice: str | None = None
    fed: list[Token] | None = None  # the steps' tokens, step by step, when the steps are the fed ones


class Reader:
    """Feed the prefix (incrementally where the stack allows), then read the head."""

    def read(self, p: Predictor, prefix: str, fed: list[Token], opts: ReadOptions) -> Read:
        views, state = p.feed_steps(fed)
        return Read(views, self.output(p, prefix, views, state, opts), fed=fed)

    def output(
        self, p: Predictor, prefix: str, views: list[StepView], state: State | None, opts: ReadOptions
    ) -> Output:
        raise NotImplementedError

    @staticmethod
    def last(p: Predictor, views: list[StepView]) -> torch.Tensor:
        """The head's output after the last step (or, with nothing typed, from the initial state)."""
        return views[-1].output if views and views[-1].output is not None else p.initial_output()


class NextTokenReader(Reader):
    def output(
        self, p: Predictor, prefix: str, views: list[StepView], state: State | None, opts: ReadOptions
    ) -> NextToken:
        last = self.last(p, views)
        top = p.ranked(torch.softmax(p.without_specials(last), -1), skip=p.specials())
        if opts.generate <= 0:
            return NextToken(top)
        greedy = p.continue_from(state, last, opts.generate, 0.0, opts.seed)
        sampled = p.continue_from(state, last, opts.generate, opts.temperature, opts.seed)
        return NextToken(top, p.task.continue_text(prefix, greedy), p.task.continue_text(prefix, sampled))


def top_each(p: Predictor, outputs: list[torch.Tensor]) -> list[Ranked]:
    """Each step's most probable token, all steps in one softmax: a keystroke at step 500 read 500
    steps one tensor op at a time (~3 ms), the cost growing with the prefix."""
    if not outputs:
        return []
    probs = torch.softmax(torch.stack(outputs).reshape(len(outputs), -1).float(), -1)
    best, index = probs.max(-1)
    vocab = p.task.out_vocab
    assert vocab is not None
    return [Ranked(vocab.itos[i], b) for i, b in zip(index.tolist(), best.tolist(), strict=True)]


T = TypeVar("T", Ranked, float)


def each_step(views: list[StepView], what: str, read: Callable[[list[torch.Tensor]], list[T]]) -> list[T]:
    """`read` of each step's output, made once per step: the predictor keeps its steps from key to
    key, so a keystroke reads its new steps only (in one call). Reading all 500 again stacked 500
    tensors and made 500 objects at every key (~0.8 ms at 512, cold, of the 1 ms budget)."""
    fresh = [v for v in views if what not in v.read]
    if fresh:
        outputs = [v.output for v in fresh]
        assert all(o is not None for o in outputs)
        for v, value in zip(fresh, read(outputs), strict=True):  # type: ignore[arg-type]
            v.read[what] = value
    return [v.read[what] for v in views]  # type: ignore[misc]


class TagReader(Reader):
    def output(
        self, p: Predictor, prefix: str, views: list[StepView], state: State | None, opts: ReadOptions
    ) -> TagPerToken:
        best = each_step(views, "tag", lambda outputs: top_each(p, outputs))  # many→many: every step has one
        return TagPerToken(tuple(Tag(v.token.text, b.label, b.p) for v, b in zip(views, best, strict=True)))


class ClassReader(Reader):
    def output(
        self, p: Predictor, prefix: str, views: list[StepView], state: State | None, opts: ReadOptions
    ) -> ClassOfPrefix:
        top = p.ranked(torch.softmax(self.last(p, views).float(), -1))
        per_step = each_step([v for v in views if v.output is not None], "class", lambda out: top_each(p, out))
        return ClassOfPrefix(tuple(top), tuple(per_step))


class ForecastReader(Reader):
    def output(
        self, p: Predictor, prefix: str, views: list[StepView], state: State | None, opts: ReadOptions
    ) -> Forecast:
        read = [v for v in views if v.output is not None]
        if not read:  # nothing typed: the forecast from the initial state
            return Forecast((p.task.denormalise(float(self.last(p, views).reshape(-1)[0])),))

        def forecasts(outs: list[torch.Tensor]) -> list[float]:
            firsts = torch.stack(outs).reshape(len(outs), -1)[:, 0].tolist()  # one read, not one a step
            return [p.task.denormalise(float(v)) for v in firsts]

        return Forecast(tuple(each_step(read, "forecast", forecasts)))


class TranslateReader(Reader):
    """Encoder-decoder: the encoder reads the prefix; the decoder writes greedily from its state,
    looking back at every encoder step where the network has attention."""

    def output(
        self, p: Predictor, prefix: str, views: list[StepView], state: State | None, opts: ReadOptions
    ) -> Translated:
        m = p.model
        if not views:  # nothing typed: nothing to translate (nor to attend to)
            return Translated((), ended=False)
        assert state is not None
        # The top layer's output at every step, both directions side by side: the fused output.
        outputs = torch.stack([v.hidden[-1].reshape(-1) for v in views]).unsqueeze(0)  # (1, S, D*H)
        ids, looked = p.greedy(m.decoder, m.bridge_state(state), memory=m.memory(outputs, None))
        rows = tuple(tuple(row) for row in looked)
        ended = ids[-1:] == [m.eos]
        return Translated(tuple(p.task.decode(ids)), ended, p.task.separator, attention=rows)


class GenerateReader(Reader):
    """One→many: the (last) token is the one input; the steps shown are the generator's."""

    def read(self, p: Predictor, prefix: str, fed: list[Token], opts: ReadOptions) -> Read:
        if not fed:
            return Read([], Produced((), ended=False), "type the one input")
        m, vocab = p.model, p.task.out_vocab
        assert vocab is not None
        x = torch.tensor([list(fed[-1].value or ())], dtype=torch.float32, device=p.device)
        runner = TraceRunner()
        ids, _ = p.greedy(m.rnn, m.initial_from_one(x), runner)
        steps = []
        for i, stack in enumerate(runner.traces.get("decoder", [])):
            word = vocab.itos[ids[i]] if i < len(ids) else ""
            steps.append(step_views(stack, [Token(word, 0, 0)])[0])
        return Read(steps, Produced(tuple(p.task.decode(ids)), ids[-1:] == [m.eos], p.task.separator))


READERS: dict[Family, Reader] = {
    Family.NEXT_TOKEN: NextTokenReader(),
    Family.TAGS: TagReader(),
    Family.CLASS: ClassReader(),
    Family.FORECAST: ForecastReader(),
    Family.TRANSLATE: TranslateReader(),
    Family.GENERATE: GenerateReader(),
}
