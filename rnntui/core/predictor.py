"""The predictor: feed a typed prefix, get the pattern's output and the per-step trace.

Incremental: for unidirectional stacks the state after every token is cached, so typing one more
token costs one recurrent step, and a backspace or an edit in the middle re-runs only from the
first changed token. A bidirectional stack must re-read the whole prefix (its backward half starts
at the end), so it re-runs on every change.

Window: only the last `window` tokens (default 512) are fed, starting from the initial state, so a
pasted 100,000-character prefix costs at most 512 steps and 512 cached states. When the window
slides (the prefix is longer than the window), the cache restarts from the window's first token.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

import torch

from rnntui.core.decoding import Memory, greedy
from rnntui.core.labels import stack_labels
from rnntui.core.model import SequenceModel, State, fused_runner
from rnntui.core.one_step import step_stack
from rnntui.core.outputs import Ranked
from rnntui.core.prediction import Gathered, Prediction, StepView, first_different, step_views
from rnntui.core.readers import READERS, ReadOptions
from rnntui.core.saliency import saliency
from rnntui.core.tasks.base import Task
from rnntui.core.tasks.data import Token
from rnntui.core.tasks.kinds import InputKind
from rnntui.core.top_k import top_k
from rnntui.core.trace import TraceRunner, trace_stack
from rnntui.core.trace_table import Saliency

WINDOW = 512
UNKNOWN = attrgetter("unknown")


class Cancelled(Exception):
    """A newer request made this one moot (Predictor.feed's `cancelled` said so mid-way)."""


# Prediction and StepView are re-exported: callers (the app among them) read them from here.
__all__ = ["WINDOW", "Cancelled", "Prediction", "Predictor", "StepView", "step_views"]


def never() -> bool:
    return False


class Predictor:
    def __init__(self, model: SequenceModel, task: Task, top_k: int = 5, window: int = WINDOW) -> None:
        self.model = model.eval()
        self.task = task
        self.top_k = top_k
        self.window = window
        self.device = next(model.parameters()).device
        self.cancelled: Callable[[], bool] = never  # asked between generated tokens (see feed)
        self.incremental = not model.spec.bidirectional and model.pattern != "one_to_many"
        self._special_mask: torch.Tensor | None = None  # True at <pad>, <unk>, <s> (without_specials)
        self.reset()

    def reset(self) -> None:
        self._keys: list[Any] = []
        self._states: list[State] = []
        self._views: list[StepView] = []
        self._tokens: list[Token] = []  # the tokens the views were last given
        self._gathered = Gathered()  # every step's plain values, for the tables of the next keys
        self._win_start = 0
        self._full: tuple[list[Any], list[StepView], State | None] | None = None

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """New weights (e.g. from a training thread's copy); cached states are now stale."""
        self.model.load_state_dict(state)
        self.model.eval()
        self.reset()

    # ---- feeding -----------------------------------------------------------------------------
    def _inputs(self, toks: list[Token]) -> torch.Tensor:
        if self.task.input_kind is InputKind.TOKENS:
            return torch.tensor([[t.id for t in toks]], dtype=torch.long, device=self.device)
        dim = self.task.input_dim
        vals = [list(t.value or (0.0,) * dim) for t in toks]
        return torch.tensor([vals], dtype=torch.float32, device=self.device).view(1, len(toks), dim)

    def _step_input(self, token: Token) -> torch.Tensor:
        """One token embedded, (1, E). For a vocabulary that is a row of the embedding table (what
        nn.Embedding's forward looks up): a view, where building an index tensor and looking it up
        were ~40 µs of a keystroke with cold caches."""
        embed = self.model.embed
        if isinstance(embed, torch.nn.Embedding) and embed.max_norm is None and token.id is not None:
            return embed.weight.narrow(0, token.id, 1)  # (one call; indexing parses its slice first)
        return embed(self._inputs([token]))[0]

    @staticmethod
    def _key(t: Token) -> Any:
        return (t.id, t.value)

    def _feed_incremental(self, fed: list[Token]) -> tuple[list[StepView], State | None]:
        # The tokenizers hand back the very tokens they kept (tasks/rescan.py): those steps are the
        # cached ones, found by identity at C speed; keys are compared only after them (a token read
        # again, "0.9" after "0.9" was typed over, keeps its step). Comparing every key cost ~0.1 ms
        # at 512 tokens once other work had run in between.
        same = first_different(fed, self._tokens)
        common, end = min(same, len(self._keys)), min(len(self._keys), len(fed))
        while common < end and self._keys[common] == self._key(fed[common]):
            common += 1
        del self._keys[common:], self._states[common:], self._views[common:]
        for i in range(common, len(fed)):
            prev = self._states[-1] if self._states else None
            one = step_stack(self.model.rnn, self._step_input(fed[i]), prev)
            view = StepView(fed[i], one.hidden, one.cell, one.gates)
            view.output = self._step_output(one.hidden[-1, 0], one.state)
            self._keys.append(self._key(fed[i]))
            self._states.append(one.state)
            self._views.append(view)
        # Tokens keep their positions in the current prefix even when their key is unchanged.
        for v, t in zip(self._views[same:], fed[same:], strict=False):
            v.token = t
        self._tokens = fed  # every fed token has its step now (a list of this feed's own, never changed)
        return list(self._views), (self._states[-1] if self._states else None)

    def _step_output(self, top: torch.Tensor, state: State) -> torch.Tensor | None:
        """The head's output after a step: `top` is the last layer's output at it (D*H,), `state`
        the stack's state after it."""
        m = self.model
        if m.pattern == "many_to_many":
            return m.head(top)
        if m.pattern == "many_to_one":
            return m._squeeze(m.head(m.final_features(state)))[0]
        return None

    def _feed_full(self, fed: list[Token]) -> tuple[list[StepView], State | None]:
        keys = [self._key(t) for t in fed]
        if self._full is not None and self._full[0] == keys:
            views = self._full[1]
            for v, t in zip(views, fed, strict=False):
                v.token = t
            return views, self._full[2]
        if not fed:
            self._full = (keys, [], None)
            return [], None
        emb = self.model.embed(self._inputs(fed))
        stack = trace_stack(self.model.rnn, emb, None)
        views = step_views(stack, fed)
        if self.model.pattern == "many_to_many":
            logits = self.model.head(stack.output[0])
            for t, v in enumerate(views):
                v.output = logits[t]
        elif self.model.pattern == "many_to_one":
            views[-1].output = self._step_output(stack.output[0, -1], stack.h_n)
        self._full = (keys, views, stack.h_n)
        return views, stack.h_n

    def feed_steps(self, fed: list[Token]) -> tuple[list[StepView], State | None]:
        """The fed tokens' steps and the final state (from the cache where the stack allows)."""
        return (self._feed_incremental if self.incremental else self._feed_full)(fed)

    @torch.no_grad()
    def feed(
        self,
        prefix: str,
        generate: int = 0,
        temperature: float = 1.0,
        seed: int = 0,
        cancelled: Callable[[], bool] = never,
    ) -> Prediction:
        """The prediction for `prefix`. With `generate`, `cancelled` is asked between generated
        tokens and raises Cancelled once it says so: a continuation (tens of ms) for a prefix
        typed over no longer holds up the next keystroke's prediction."""
        self.cancelled = cancelled
        try:
            return self._feed(prefix, generate, temperature, seed)
        finally:
            self.cancelled = never

    def _feed(self, prefix: str, generate: int, temperature: float, seed: int) -> Prediction:
        tokens = self.task.tokenize(prefix)
        win_start = max(0, len(tokens) - self.window)
        fed = tokens[win_start:]
        if win_start != self._win_start:
            self.reset()
            self._win_start = win_start
        notes = []
        # Most prefixes have no unknown token: asked of every token at C speed first.
        unknown = list(dict.fromkeys(t.text for t in tokens if t.unknown)) if any(map(UNKNOWN, tokens)) else []
        if unknown:
            shown = ", ".join(repr(u) for u in unknown[:5])
            more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
            notes.append(f"not in the vocabulary, read as unknown: {shown}{more}")
        if win_start:
            notes.append(f"only the last {self.window} tokens are fed (the window)")
        read = READERS[self.task.family].read(self, prefix, fed, ReadOptions(generate, temperature, seed))
        if read.notice:
            notes.append(read.notice)
        layers = self.layer_names
        return Prediction(
            prefix, tokens, win_start, read.output, read.steps, tuple(notes), layers, self._gathered, read.fed
        )

    def saliency(self, prefix: str) -> Saliency:
        """What the prediction for `prefix` looks at: one value per fed token (core/saliency.py)."""
        tokens = self.task.tokenize(prefix)
        return saliency(self.model, self.task, tokens[max(0, len(tokens) - self.window) :])

    @property
    def layer_names(self) -> dict[tuple[int, int], str]:
        """The traced stack's layers as the charts name them ("enc layer 1 →" in an encoder-decoder)."""
        m = self.model
        part = "enc" if m.pattern == "encoder_decoder" else ""
        return stack_labels(m.spec.num_layers, m.num_directions if m.pattern != "one_to_many" else 1, part)

    # ---- what the readers (core/readers.py) use ---------------------------------------------
    def initial_output(self) -> torch.Tensor:
        """The head applied to the initial (zero) state: what the model says before any input."""
        m = self.model
        layers, d, h = m.spec.num_layers, m.num_directions, m.spec.hidden_size
        zeros = torch.zeros(layers * d, 1, h, device=self.device)
        if m.pattern == "many_to_many":
            return m.head(torch.zeros(d * h, device=self.device))
        return m._squeeze(m.head(m.final_features(zeros)))[0]

    def without_specials(self, logits: torch.Tensor) -> torch.Tensor:
        """Logits with <pad>, <unk> and <s> at -inf: a language model never predicts them (an
        untrained one put <pad> in its top 5), so the probabilities are over real tokens."""
        mask = self._special_mask
        if mask is None or mask.shape != logits.shape:  # one tensor op a key, not a copy and a scatter
            mask = torch.zeros(logits.shape, dtype=torch.bool, device=logits.device)
            mask[list(self.specials())] = True
            self._special_mask = mask
        # Filled, not added: a diverged network's inf or NaN there stays out of the softmax.
        return logits.float().masked_fill(mask, float("-inf"))

    def specials(self) -> tuple[int, ...]:
        vocab = self.task.out_vocab
        assert vocab is not None
        return tuple(i for i in (vocab.pad, vocab.unk, vocab.bos) if i is not None)

    def ranked(self, probs: torch.Tensor, skip: tuple[int, ...] = ()) -> tuple[Ranked, ...]:
        """The k most probable tokens, highest first (ties in vocabulary order), never those in `skip`."""
        vocab = self.task.out_vocab
        assert vocab is not None
        return tuple(Ranked(vocab.itos[i], v) for i, v in top_k(probs, self.top_k, skip))

    def continue_from(
        self, state: State | None, logits: torch.Tensor, n: int, temperature: float, seed: int
    ) -> list[str]:
        """Greedy (temperature 0) or sampled continuation, from the prefix's state."""
        m, vocab = self.model, self.task.out_vocab
        assert vocab is not None
        g = torch.Generator().manual_seed(seed)
        out = []
        for _ in range(n):
            if self.cancelled():
                raise Cancelled
            scores = self.without_specials(logits).cpu()
            if temperature <= 0:
                nxt = int(scores.argmax())
            else:
                nxt = int(torch.multinomial(torch.softmax(scores / temperature, -1), 1, generator=g))
            out.append(vocab.itos[nxt])
            x = torch.tensor([[nxt]], device=self.device)
            seq, state = m.rnn(m.embed(x), state)
            logits = m.head(seq[0, -1])
        return out

    def greedy(
        self, rnn: torch.nn.RNNBase, state: State, runner: TraceRunner | None = None, memory: Memory | None = None
    ) -> tuple[list[int], list[list[float]]]:
        """Greedy decoding from `state`, up to and including the end token (at most max_output), and
        where attention looked at each step (rows over the source; none without attention)."""
        decoded = greedy(self.model, rnn, state, memory, self.task.max_output, runner or fused_runner, 1)
        return decoded.ids[0].tolist(), [w[0].tolist() for w in decoded.weights]
