"""A user's own text for the character language model: read bounded, counted without Python lists.

Measured before these limits: a 49 MB text took 3.3 GB of memory (a Python list of every start
position and of every character id), and 73,000 distinct characters made a model whose logits alone
took gigabytes. Now at most `MAX_TEXT_BYTES` are read (the first 20 MB of a larger file, with a
notice), the text becomes ids through tensors (4 bytes per character while counting, 2 bytes kept),
and the vocabulary keeps the `MAX_VOCAB` most frequent characters; the rest read as <unk>.
`benchmarks/data_memory.py` measures the peak memory for the largest file allowed.

The checkpoint keeps a fingerprint (sha256 and size) of the text it was trained on: a run resumed
on a file that has changed since is refused instead of continuing on a wrong mapping.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rnntui.core.errors import SpecError
from rnntui.core.fileio import human_bytes, read_prefix

if TYPE_CHECKING:
    import torch
else:  # imported at its first use: the app reads this module without torch (core/lazy_torch.py)
    from rnntui.core.lazy_torch import torch

MIN_CHARS = 200
MAX_TEXT_BYTES = 20_000_000
MAX_VOCAB = 2000


@dataclass(frozen=True)
class Source:
    """What a text was: its fingerprint, checked when a run is resumed."""

    sha256: str
    used_bytes: int
    file_size: int | None  # None for a built-in corpus

    def to_state(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "used_bytes": self.used_bytes, "file_size": self.file_size}

    @staticmethod
    def from_state(data: Any) -> Source | None:
        if data is None:
            return None  # checkpoints from before fingerprints were kept
        ok = (
            isinstance(data, Mapping)
            and isinstance(data.get("sha256"), str)
            and len(data["sha256"]) == 64
            and _is_count(data.get("used_bytes"))
            and (data.get("file_size") is None or _is_count(data.get("file_size")))
        )
        if not ok:
            raise SpecError("the checkpoint's text fingerprint is damaged")
        return Source(data["sha256"], data["used_bytes"], data.get("file_size"))


def _is_count(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and 0 <= x < 2**63


@dataclass(frozen=True)
class OwnText:
    text: str
    source: Source
    notice: str | None


def fingerprint(raw: bytes, file_size: int | None) -> Source:
    return Source(hashlib.sha256(raw).hexdigest(), len(raw), file_size)


def read_text_file(path: str) -> OwnText:
    """Read a user's corpus (its first MAX_TEXT_BYTES), refusing what cannot be trained on with a reason."""
    p = Path(path).expanduser()
    raw, size = read_prefix(p, MAX_TEXT_BYTES, what="task.path")
    if size == 0:
        raise SpecError(f"task.path {path!r} is empty: give a text file with at least {MIN_CHARS} characters")
    notice = None
    if size > len(raw):
        cut = raw.rfind(b"\n", max(0, len(raw) - 65536))  # end on a whole line when one is near
        raw = raw[: cut + 1] if cut >= 0 else _whole_chars(raw)
        notice = (
            f"task.path {path!r} is {human_bytes(size)}; only its first {human_bytes(len(raw))} are used "
            f"(the limit is {human_bytes(MAX_TEXT_BYTES)})"
        )
    if b"\x00" in raw[:8192]:
        raise SpecError(f"task.path {path!r} looks binary (it contains NUL bytes); give a UTF-8 text file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"task.path {path!r} is not UTF-8 text (byte {exc.start}); convert it to UTF-8") from None
    if len(text) < MIN_CHARS:
        raise SpecError(f"task.path {path!r} has {len(text)} characters; give at least {MIN_CHARS}")
    return OwnText(text, fingerprint(raw, size), notice)


def _whole_chars(raw: bytes) -> bytes:
    """`raw` without a UTF-8 sequence cut in half at its end."""
    for back in range(min(4, len(raw)) + 1):
        try:
            (raw[: len(raw) - back]).decode("utf-8")
            return raw[: len(raw) - back]
        except UnicodeDecodeError as exc:
            if exc.start < len(raw) - 4:
                return raw  # a real decoding error further in: reported by the caller
    return raw


def check_unchanged(path: str, saved: Source | None, now: Source) -> None:
    if saved is None or (saved.sha256 == now.sha256 and saved.file_size == now.file_size):
        return
    was = human_bytes(saved.file_size if saved.file_size is not None else saved.used_bytes)
    size = human_bytes(now.file_size if now.file_size is not None else now.used_bytes)
    raise SpecError(
        f"task.path {path!r} has changed since this run's checkpoint (it was {was}, sha256 {saved.sha256[:12]}…; "
        f"now {size}, {now.sha256[:12]}…): its characters would no longer match the model's; restore the "
        "file, or train a new run on it"
    )


def code_points(text: str) -> torch.Tensor:
    """(N,) int32: the text's code points, 4 bytes a character and no Python objects per character."""
    data = text.encode("utf-32-le")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a read-only buffer: nothing ever writes to this tensor
        return torch.frombuffer(data, dtype=torch.int32) if data else torch.zeros(0, dtype=torch.int32)


@dataclass
class Counted:
    chars: list[str]  # the vocabulary, by code point
    unigram: float  # entropy (nats) of the characters of the training split
    notice: str | None


def count_chars(codes: torch.Tensor, split: int) -> Counted:
    """The vocabulary (the MAX_VOCAB most frequent characters, by code point) and the unigram baseline."""
    counts = torch.bincount(codes)
    present = torch.nonzero(counts).squeeze(1)  # code points, ascending
    notice = None
    if len(present) > MAX_VOCAB:
        # A stable sort by count keeps code-point order among equals: the same text, the same vocabulary.
        order = torch.sort(counts[present], descending=True, stable=True).indices
        kept = present[order[:MAX_VOCAB]]
        dropped = int(counts.sum()) - int(counts[kept].sum())
        notice = (
            f"the text has {len(present):,} distinct characters; the {MAX_VOCAB:,} most frequent are kept "
            f"and the other {len(present) - MAX_VOCAB:,} ({100 * dropped / max(1, len(codes)):.2g} % of the "
            "text) read as <unk>"
        )
        present = torch.sort(kept).values
    train = torch.bincount(codes[:split]).double()
    p = train[train > 0] / train.sum()
    unigram = float(-(p * p.log()).sum())
    return Counted([chr(c) for c in present.tolist()], unigram, notice)


def to_ids(codes: torch.Tensor, stoi: Mapping[str, int], unk: int) -> torch.Tensor:
    """(N,) int16 ids (the vocabulary has at most MAX_VOCAB + 2 entries); unknown characters → unk."""
    top = int(codes.max()) + 1 if len(codes) else 1
    table = torch.full((top,), unk, dtype=torch.int16)
    for ch, i in stoi.items():
        if len(ch) == 1 and ord(ch) < top:
            table[ord(ch)] = i
    return table[codes]
