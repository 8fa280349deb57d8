"""Neuron hunt (the LSTMVis / char-rnn idea): which hidden units track what a regex matches?

Every character of the text gets a target, 1 inside a match and 0 outside; every hidden unit
(each layer and direction) gets its activation at each token. Units are ranked by the absolute
Pearson correlation between the two; the sign says whether the unit rises or falls in a match.

The regex is the user's (or a shared script's): Python's `re` cannot be stopped, and `(A+)+$` took
88 s on a short text. Matching uses the `regex` package with a time limit, and releases the GIL while
it matches, so the app can match in a worker thread; only `re`'s syntax is taken (checked by `re`).
"""

from __future__ import annotations

import re
import threading
import time
import warnings

import regex
import torch

from rnntui.core.errors import HuntError
from rnntui.core.prediction import Prediction
from rnntui.core.predictor import Predictor
from rnntui.core.predictor_protocol import Unit

TIMEOUT_S = 1.0  # matching longer than this is refused ("too slow"), in the app and the CLI
MAX_PATTERN = 1000  # characters
FUZZY = re.compile(r"\{[^{}]*[eids]\s*[<=>]")
_QUIET = threading.Lock()


def _compile(pattern: str) -> regex.Pattern[str]:
    # `re` warns (FutureWarning: "Possible nested set", "Possible set difference") about patterns that
    # a later Python may read differently; it still compiles them as today. A warning would reach the
    # CLI's stderr as two lines of source around the refusal, or the app's terminal; the pattern means
    # what it means now. catch_warnings swaps the process's filters: two threads inside at once could
    # restore each other's and leave warnings off for good, so one at a time (a compile takes µs).
    with _QUIET, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        re.compile(pattern)
        if FUZZY.search(pattern):  # literal text for `re`, fuzzy matching for `regex`: refused
            raise HuntError(f"the regular expression {pattern!r} has {{e<=…}}-style fuzzy matching, not supported")
        return regex.compile(pattern, flags=regex.VERSION0)


def match_spans(text: str, pattern: str, timeout_s: float = TIMEOUT_S) -> list[tuple[int, int]]:
    """(start, end) of every match of `pattern` in `text`; HuntError when invalid or too slow."""
    if len(pattern) > MAX_PATTERN:
        raise HuntError(f"the regular expression is {len(pattern)} characters long; the limit is {MAX_PATTERN}")
    try:
        # Python's own syntax, checked by Python's own `re` first: the regex package also takes
        # recursion and fuzzy matching, and `(?R){e<=1}` crashed the whole process (a segfault in it).
        rx = _compile(pattern)
    except HuntError:
        raise
    except (re.error, regex.error, OverflowError, RecursionError, ValueError) as exc:
        raise HuntError(f"the regular expression {pattern!r} is invalid: {exc}") from None
    except Exception as exc:  # the regex package's own failures (KeyError for (?V1)…): refused, said
        raise HuntError(f"the regular expression {pattern!r} cannot be used: {type(exc).__name__}") from None
    deadline = time.monotonic() + timeout_s
    spans = []
    try:
        for m in rx.finditer(text, concurrent=True, timeout=timeout_s):
            spans.append(m.span())
            if time.monotonic() > deadline:
                raise TimeoutError
    except TimeoutError:
        raise HuntError(
            f"the regular expression {pattern!r} is too slow on this text (over {timeout_s:g} s); "
            "nested repeats such as (a+)+ backtrack without end: simplify it"
        ) from None
    return spans


def targets_from_spans(pred: Prediction, text_len: int, spans: list[tuple[int, int]]) -> torch.Tensor:
    """(T,) 1.0 where the fed token overlaps a match, else 0.0."""
    inside = [False] * (text_len + 1)
    for start, end in spans:
        for i in range(start, end):
            inside[i] = True
    return torch.tensor([float(any(inside[s.token.start : max(s.token.end, s.token.start + 1)])) for s in pred.steps])


def match_targets(pred: Prediction, text: str, pattern: str) -> torch.Tensor:
    """(T,) 1.0 where the fed token overlaps a regex match, else 0.0."""
    return targets_from_spans(pred, len(text), match_spans(text, pattern))


def rank_units(pred: Prediction, targets: torch.Tensor, top: int = 10) -> list[Unit]:
    if not pred.steps:
        return []
    acts = torch.stack([s.hidden for s in pred.steps]).float()  # (T, L, D, H)
    t_len, layers, dirs, hsz = acts.shape
    flat = acts.reshape(t_len, -1)
    a = flat - flat.mean(0)
    y = targets - targets.mean()
    denom = a.norm(dim=0) * y.norm()
    r = torch.where(denom > 1e-12, (a * y.unsqueeze(1)).sum(0) / denom.clamp_min(1e-12), torch.zeros_like(denom))
    order = r.abs().argsort(descending=True)[:top]
    units = []
    for k in order.tolist():
        layer, rest = divmod(k, dirs * hsz)
        direction, unit = divmod(rest, hsz)
        units.append(Unit(layer, direction, unit, float(r[k]), pred.layer_names.get((layer, direction), "")))
    return units


def rank_against(pred: Prediction, pattern: str, targets: torch.Tensor, top: int = 10) -> list[Unit]:
    """Units ranked against `targets`; HuntError when the regex gives a constant target."""
    if targets.numel() and (targets.min() == targets.max()):
        what = "matches everywhere" if targets.max() > 0 else "matches nothing"
        raise HuntError(f"{pattern!r} {what} in this text: a unit cannot be ranked against a constant")
    return rank_units(pred, targets, top)


def hunt(predictor: Predictor, text: str, pattern: str, top: int = 10) -> tuple[list[Unit], Prediction]:
    spans = match_spans(text, pattern)  # first: a bad or slow regex costs no forward pass
    pred = predictor.feed(text)
    return rank_against(pred, pattern, targets_from_spans(pred, len(text), spans), top), pred
