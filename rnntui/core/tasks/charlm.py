"""Character-level language model on a built-in corpus or the user's own text file."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from rnntui.core.spec import SpecError
from rnntui.core.tasks import corpora
from rnntui.core.tasks.base import Batch, Metrics, Param, Task, Token, Vocab

if TYPE_CHECKING:
    from rnntui.core.model import SequenceModel

MIN_CHARS = 200
MAX_FILE_BYTES = 50_000_000


def read_text_file(path: str) -> str:
    """Read a user's corpus, refusing what cannot be trained on with a reason."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise SpecError(f"task.path {path!r} does not exist or is not a file")
    size = p.stat().st_size
    if size == 0:
        raise SpecError(f"task.path {path!r} is empty: give a text file with at least {MIN_CHARS} characters")
    if size > MAX_FILE_BYTES:
        raise SpecError(f"task.path {path!r} is {size // 1_000_000} MB; use a file under 50 MB")
    raw = p.read_bytes()
    if b"\x00" in raw[:8192]:
        raise SpecError(f"task.path {path!r} looks binary (it contains NUL bytes); give a UTF-8 text file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"task.path {path!r} is not UTF-8 text (byte {exc.start}); convert it to UTF-8") from None
    if len(text) < MIN_CHARS:
        raise SpecError(f"task.path {path!r} has {len(text)} characters; give at least {MIN_CHARS}")
    return text


class CharLMTask(Task):
    name = "char_lm"
    title = "character language model"
    params = {
        "corpus": Param(str, "stories", "built-in text: hello (a word list) or stories (a tiny grammar)"),
        "path": Param(str | None, None, "your own UTF-8 text file (overrides corpus)"),
        "seq_len": Param(int, 64, "characters per training sequence"),
        "case": Param(str, "keep", "upper, lower or keep: how text and typed prefixes are normalised"),
        "probe_prefix": Param(str, "", "a prefix whose next-character probability is a metric"),
        "probe_target": Param(str, "", "the character expected after probe_prefix"),
        "word_starts": Param(bool, False, "start every training sequence at a word, like a typed prefix"),
    }
    patterns = ("many_to_many",)
    kind = "lm"
    metric_name = "accuracy"
    supports_tbptt = True
    prefix_hint = "type some text; the model predicts the next character"
    separator = ""

    def __init__(self, params: Mapping[str, Any] | None = None, state: Mapping[str, Any] | None = None):
        super().__init__(params, state)
        if self.p["case"] not in ("upper", "lower", "keep"):
            raise SpecError(f"task.case must be upper, lower or keep, not {self.p['case']!r}")
        if self.p["seq_len"] < 2:
            raise SpecError("task.seq_len must be 2 or more")
        if self.p["corpus"] not in ("hello", "stories") and not self.p["path"]:
            raise SpecError(f"task.corpus {self.p['corpus']!r} is unknown; use hello, stories or task.path=FILE")
        self._text: str | None = None
        if state is not None:
            chars = list(state["chars"])
            self.unigram = float(state.get("unigram", math.log(max(2, len(chars)))))
        else:
            text = self.text()
            chars = sorted(set(text))
            counts = Counter(text[: self._split(text)])
            total = sum(counts.values())
            self.unigram = -sum(c / total * math.log(c / total) for c in counts.values())
        self.in_vocab = self.out_vocab = Vocab(chars, specials=(Vocab.PAD, Vocab.UNK))
        self._ids: torch.Tensor | None = None

    # ---- data --------------------------------------------------------------------------------
    def normalise(self, text: str) -> str:
        case = self.p["case"]
        return text.upper() if case == "upper" else text.lower() if case == "lower" else text

    def text(self) -> str:
        if self._text is None:
            if self.p["path"]:
                raw = read_text_file(self.p["path"])
            elif self.p["corpus"] == "hello":
                raw = corpora.hello_stream(6000, seed=7)
            else:
                raw = corpora.stories(4000, seed=7)
            self._text = self.normalise(raw)
            if len(self._text) < 2 * self.p["seq_len"] + 2:
                raise SpecError(
                    f"the text has {len(self._text)} characters, too short for task.seq_len="
                    f"{self.p['seq_len']}; lower seq_len or give more text"
                )
        return self._text

    @staticmethod
    def _split(text: str) -> int:
        return int(len(text) * 0.9)

    def ids(self) -> torch.Tensor:
        if self._ids is None:
            unk = self.in_vocab.unk
            self._ids = torch.tensor([self.in_vocab.stoi.get(ch, unk) for ch in self.text()], dtype=torch.long)
            text = self.text()
            split = self._split(text)
            seq = self.p["seq_len"]
            if self.p["word_starts"]:
                starts = [i for i in range(len(text)) if i == 0 or text[i - 1] == " "]
            else:
                starts = list(range(len(text)))
            self._train_starts = torch.tensor([s for s in starts if s + seq + 1 <= split], dtype=torch.long)
            self._val_starts = torch.tensor(
                [s for s in starts if s >= split and s + seq + 1 <= len(text)], dtype=torch.long
            )
            if len(self._val_starts) == 0:
                self._val_starts = torch.tensor([len(text) - seq - 1], dtype=torch.long)
        return self._ids

    def _batch(self, starts: torch.Tensor) -> Batch:
        ids = self.ids()
        offs = starts.unsqueeze(1) + torch.arange(self.p["seq_len"] + 1).unsqueeze(0)
        window = ids[offs]
        return Batch(x=window[:, :-1], y=window[:, 1:])

    def train_batch(self, step: int, batch_size: int, seed: int) -> Batch:
        self.ids()
        g = self.generator(seed, step)
        pick = torch.randint(len(self._train_starts), (batch_size,), generator=g)
        return self._batch(self._train_starts[pick])

    def val_batches(self, batch_size: int) -> list[Batch]:
        self.ids()
        g = self.generator(424242, 0, salt=17)
        n = min(len(self._val_starts), 512)
        chosen = self._val_starts[torch.randperm(len(self._val_starts), generator=g)[:n]]
        return [self._batch(chosen[i : i + batch_size]) for i in range(0, n, batch_size)]

    def state(self) -> dict[str, Any]:
        return {"chars": self.in_vocab.itos[2:], "unigram": self.unigram}

    # ---- prefixes ----------------------------------------------------------------------------
    def tokenize(self, text: str) -> list[Token]:
        norm = self.normalise(text)
        unk = self.in_vocab.unk
        out = []
        for i, ch in enumerate(norm[: len(text)]):
            tid = self.in_vocab.stoi.get(ch)
            out.append(Token(text=ch, start=i, end=i + 1, id=unk if tid is None else tid, unknown=tid is None))
        return out

    # ---- evaluation --------------------------------------------------------------------------
    @property
    def baseline(self) -> float:
        return self.unigram

    @torch.no_grad()
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

    @torch.no_grad()
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

    @torch.no_grad()
    def samples(self, model: SequenceModel, n: int = 2, length: int = 80) -> list[str]:
        device = next(model.parameters()).device
        g = torch.Generator(device="cpu").manual_seed(1234)
        text = self.text() if self._text is not None or state_free(self) else ""
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


def state_free(task: CharLMTask) -> bool:
    """True when the task can read its text (built-in corpus, or a path that is still there)."""
    return not task.p["path"] or Path(task.p["path"]).expanduser().is_file()
