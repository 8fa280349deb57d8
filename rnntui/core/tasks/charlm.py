"""Character-level language model on a built-in corpus or the user's own text file."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rnntui.core.errors import SpecError
from rnntui.core.lazy_torch import no_grad
from rnntui.core.tasks import corpora
from rnntui.core.tasks.base import Metrics, Param, Task
from rnntui.core.tasks.data import Batch, Token, Vocab
from rnntui.core.tasks.kinds import Family
from rnntui.core.tasks.owntext import (
    MAX_VOCAB,
    Source,
    check_unchanged,
    code_points,
    count_chars,
    fingerprint,
    read_text_file,
    to_ids,
)
from rnntui.core.tasks.rescan import common_prefix

if TYPE_CHECKING:
    import torch

    from rnntui.core.model import SequenceModel
else:  # imported at its first use: the app reads this module without torch (core/lazy_torch.py)
    from rnntui.core.lazy_torch import torch


class CharLMTask(Task):
    name = "char_lm"
    title = "character language model"
    params = {
        "corpus": Param(str, "stories", "built-in text: hello (a word list) or stories (a tiny grammar)"),
        "path": Param(str | None, None, "your own UTF-8 text file (overrides corpus)"),
        "seq_len": Param(int, 64, "characters per training sequence", lo=2, hi=10_000),
        "case": Param(str, "keep", "upper, lower or keep: how text and typed prefixes are normalised"),
        "probe_prefix": Param(str, "", "a prefix whose next-character probability is a metric"),
        "probe_target": Param(str, "", "the character expected after probe_prefix"),
        "word_starts": Param(bool, False, "start every training sequence at a word, like a typed prefix"),
    }
    patterns = ("many_to_many",)
    family = Family.NEXT_TOKEN
    metric_name = "accuracy"
    supports_tbptt = True
    prefix_hint = "type some text; the model predicts the next character"
    separator = ""
    max_vocab = MAX_VOCAB + 2  # and <pad>, <unk>

    @classmethod
    def max_length(cls, params: Mapping[str, Any]) -> int:
        return int(params["seq_len"])

    def __init__(self, params: Mapping[str, Any] | None = None, state: Mapping[str, Any] | None = None):
        super().__init__(params, state)
        if self.p["case"] not in ("upper", "lower", "keep"):
            raise SpecError(f"task.case must be upper, lower or keep, not {self.p['case']!r}")
        if self.p["seq_len"] < 2:
            raise SpecError("task.seq_len must be 2 or more")
        if self.p["corpus"] not in ("hello", "stories") and not self.p["path"]:
            raise SpecError(f"task.corpus {self.p['corpus']!r} is unknown; use hello, stories or task.path=FILE")
        self._text: str | None = None
        self._codes: torch.Tensor | None = None
        self._ids: torch.Tensor | None = None
        self.notices: list[str] = []
        self._last_read: tuple[str, list[Token]] = ("", [])  # tokenize's last text (normalised) and tokens
        self._saved: Source | None = None  # the fingerprint a checkpoint was trained on
        self.source: Source | None = None  # the fingerprint of the text read (once it is read)
        if state is not None:
            chars = state.get("chars")
            if not (
                isinstance(chars, list)
                and len(chars) <= MAX_VOCAB
                and all(isinstance(c, str) and len(c) == 1 for c in chars)
                and len(set(chars)) == len(chars)
            ):
                raise SpecError(f"the checkpoint's character vocabulary is damaged (at most {MAX_VOCAB:,} characters)")
            unigram = state.get("unigram", math.log(max(2, len(chars))))
            if isinstance(unigram, bool) or not isinstance(unigram, int | float) or not math.isfinite(unigram):
                raise SpecError("the checkpoint's unigram baseline is damaged")
            self.unigram = float(unigram)
            self._saved = self.source = Source.from_state(state.get("source"))
        else:
            counted = count_chars(self.codes(), self._split(self.text()))
            chars, self.unigram = counted.chars, counted.unigram
            if counted.notice:
                self.notices.append(counted.notice)
        self.in_vocab = self.out_vocab = Vocab(chars, specials=(Vocab.PAD, Vocab.UNK))

    # ---- data --------------------------------------------------------------------------------
    def normalise(self, text: str) -> str:
        case = self.p["case"]
        return text.upper() if case == "upper" else text.lower() if case == "lower" else text

    def text(self) -> str:
        if self._text is None:
            if self.p["path"]:
                own = read_text_file(self.p["path"])
                raw, source = own.text, own.source
                check_unchanged(self.p["path"], self._saved, source)
                if own.notice:
                    self.notices.append(own.notice)
            else:
                raw = (
                    corpora.hello_stream(6000, seed=7) if self.p["corpus"] == "hello" else corpora.stories(4000, seed=7)
                )
                source = fingerprint(raw.encode("utf-8"), None)
            self.source = source
            self._text = self.normalise(raw)
            if len(self._text) < 2 * self.p["seq_len"] + 2:
                raise SpecError(
                    f"the text has {len(self._text)} characters, too short for task.seq_len="
                    f"{self.p['seq_len']}; lower seq_len or give more text"
                )
        return self._text

    def codes(self) -> torch.Tensor:
        if self._codes is None:
            self._codes = code_points(self.text())
        return self._codes

    def load_data(self) -> None:
        self.ids()

    @staticmethod
    def _split(text: str) -> int:
        return int(len(text) * 0.9)

    def ids(self) -> torch.Tensor:
        """(N,) int16 ids of the text; start positions as counts (or, for word starts, a tensor)."""
        if self._ids is None:
            text = self.text()
            codes = self.codes()
            self._ids = to_ids(codes, self.in_vocab.stoi, self.in_vocab.unk)
            n, split, seq = len(text), self._split(text), self.p["seq_len"]
            self._word_starts: torch.Tensor | None = None
            if self.p["word_starts"]:
                after_space = torch.nonzero(codes[:-1] == ord(" ")).squeeze(1) + 1
                starts = torch.cat([torch.zeros(1, dtype=torch.long), after_space])
                self._word_starts = starts
                self._train_starts = starts[starts + seq + 1 <= split]
                self._val_starts = starts[(starts >= split) & (starts + seq + 1 <= n)]
            else:
                # Every position is a start: kept as a range, not a tensor of 8 bytes a character.
                self._train_starts = torch.arange(0)
                self._n_train = split - seq
                self._val_starts = torch.arange(split, n - seq)
            if len(self._val_starts) == 0:
                self._val_starts = torch.tensor([n - seq - 1], dtype=torch.long)
            self._codes = None  # 4 bytes a character, needed only to count and map
        return self._ids

    def _batch(self, starts: torch.Tensor) -> Batch:
        ids = self.ids()
        offs = starts.unsqueeze(1) + torch.arange(self.p["seq_len"] + 1).unsqueeze(0)
        window = ids[offs].long()
        return Batch(x=window[:, :-1], y=window[:, 1:])

    def train_batch(self, step: int, batch_size: int, seed: int) -> Batch:
        self.ids()
        g = self.generator(seed, step)
        if self._word_starts is None:
            return self._batch(torch.randint(self._n_train, (batch_size,), generator=g))
        pick = torch.randint(len(self._train_starts), (batch_size,), generator=g)
        return self._batch(self._train_starts[pick])

    def val_batches(self, batch_size: int) -> list[Batch]:
        self.ids()
        g = self.generator(424242, 0, salt=17)
        n = min(len(self._val_starts), 512)
        chosen = self._val_starts[torch.randperm(len(self._val_starts), generator=g)[:n]]
        return [self._batch(chosen[i : i + batch_size]) for i in range(0, n, batch_size)]

    def state(self) -> dict[str, Any]:
        return {
            "chars": self.in_vocab.itos[2:],
            "unigram": self.unigram,
            "source": self.source.to_state() if self.source is not None else None,
        }

    # ---- prefixes ----------------------------------------------------------------------------
    def prefix_reading(self) -> dict[str, Any]:
        assert self.in_vocab is not None
        return {"kind": "chars", "case": self.p["case"], "vocab": self.in_vocab.itos, "unk": self.in_vocab.unk}

    def tokenize(self, text: str) -> list[Token]:
        # A token is a function of its position and its normalised character, so the tokens before
        # the first character that changed since the last call are that call's: a keystroke reads
        # one or two characters, where reading all 512 cost ~0.3 ms (tests/test_rescan.py).
        norm = self.normalise(text)[: len(text)]
        before, tokens = self._last_read
        same = common_prefix(before, norm)
        out = tokens[:same] + self._read_chars(norm, same)
        self._last_read = (norm, out)  # one tuple: a thread reads a whole pair
        return list(out)  # the caller's own list

    def _read_chars(self, norm: str, start: int) -> list[Token]:
        assert self.in_vocab is not None
        stoi, unk = self.in_vocab.stoi, self.in_vocab.unk
        out = []
        for i in range(start, len(norm)):
            ch = norm[i]
            tid = stoi.get(ch)
            out.append(Token(text=ch, start=i, end=i + 1, id=unk if tid is None else tid, unknown=tid is None))
        return out

    # ---- evaluation --------------------------------------------------------------------------
    @property
    def baseline(self) -> float:
        return self.unigram

    @no_grad
    def evaluate(self, model: SequenceModel, batches: Sequence[Batch]) -> Metrics:
        m = super().evaluate(model, batches)
        extras = {
            "accuracy": m.metric,
            "bits_per_char": m.val_loss / math.log(2),
            "nats_below_unigram": self.unigram - m.val_loss,
        }
        if self.p["probe_prefix"] and self.p["probe_target"]:
            extras["p_probe"] = self.probe_probability(model)
        return Metrics(val_loss=m.val_loss, metric=m.metric, extras=extras)

    @no_grad
    def probe_probability(self, model: SequenceModel) -> float:
        """p(probe_target | probe_prefix) from the initial state, exactly as Predict computes it."""
        device = next(model.parameters()).device
        toks = self.tokenize(self.p["probe_prefix"])
        x = torch.tensor([[t.id for t in toks]], dtype=torch.long, device=device)
        logits = model(Batch(x=x, y=x))[0, -1]
        target = self.in_vocab.stoi.get(self.normalise(self.p["probe_target"]))
        if target is None:
            return 0.0
        return float(torch.softmax(logits.float(), -1)[target])

    @no_grad
    def samples(self, model: SequenceModel, n: int = 2, length: int = 80) -> list[str]:
        device = next(model.parameters()).device
        g = torch.Generator(device="cpu").manual_seed(1234)
        text = self._text or ""  # read by training; a task rebuilt for Predict has only its vocabulary
        seeds = [text[:1] or self.in_vocab.itos[-1]] * n
        out = []
        for s in seeds:
            ids = [self.in_vocab.stoi.get(s, self.in_vocab.unk)]
            x = torch.tensor([ids], device=device)
            logits, state = model.forward_with_state(Batch(x=x, y=x))
            chars = [s]
            for _ in range(length):
                probs = torch.softmax(logits[0, -1].float() / 0.8, -1).cpu()
                probs[:2] = 0  # never sample <pad>/<unk>
                nxt = int(torch.multinomial(probs, 1, generator=g))
                chars.append(self.in_vocab.itos[nxt])
                x = torch.tensor([[nxt]], device=device)
                logits, state = model.forward_with_state(Batch(x=x, y=x), state=state)
            out.append("".join(chars))
        return out
