"""The data a task hands the model: vocabularies, typed-prefix tokens, batches and padding.

Kept apart from the Task contract (base.py) because models, the predictor and the step engine
need these shapes without needing to know what a task is.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch
else:  # imported at its first use: the app reads this module without torch (core/lazy_torch.py)
    from rnntui.core.lazy_torch import torch


IGNORE = -100  # target id that the loss skips (padding)


class Vocab:
    """Token list with optional specials; ids are positions in `itos`."""

    PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<s>", "</s>"

    def __init__(self, tokens: Sequence[str], specials: Sequence[str] = ()) -> None:
        self.itos: list[str] = list(specials) + [t for t in tokens if t not in specials]
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def id(self, token: str) -> int | None:
        return self.stoi.get(token)

    @property
    def pad(self) -> int | None:
        return self.stoi.get(self.PAD)

    @property
    def unk(self) -> int | None:
        return self.stoi.get(self.UNK)

    @property
    def bos(self) -> int | None:
        return self.stoi.get(self.BOS)

    @property
    def eos(self) -> int | None:
        return self.stoi.get(self.EOS)

    def decode(self, ids: Sequence[int]) -> list[str]:
        return [self.itos[i] if 0 <= i < len(self.itos) else self.UNK for i in ids]


@dataclass(slots=True)  # read at every keystroke, hundreds at a time: one memory read an attribute
class Token:
    """One unit of a typed prefix: its text, where it sits in the prefix, and how it is fed."""

    text: str
    start: int
    end: int
    id: int | None = None  # for token inputs
    value: tuple[float, ...] | None = None  # for vector inputs
    unknown: bool = False


@dataclass
class Batch:
    """Model inputs and targets. Shapes: x (B,T) long or (B,T,F) float; one_to_many x (B,F)."""

    x: torch.Tensor
    y: torch.Tensor
    lengths: torch.Tensor | None = None  # (B,) on the CPU (pack_padded_sequence wants it there)
    y_in: torch.Tensor | None = None  # (B,U) decoder inputs: BOS then the shifted targets

    def to(self, device: torch.device) -> Batch:
        """The batch on `device` (lengths stay on the host), moved without making the host wait."""
        return Batch(
            x=move(self.x, device),
            y=move(self.y, device),
            lengths=self.lengths,
            y_in=None if self.y_in is None else move(self.y_in, device),
        )

    @property
    def tokens(self) -> int:
        """Input tokens in the batch, for throughput; computed from shapes (no device sync)."""
        # x is (B, T) or (B, T, F), except one_to_many's single input (B, F); decoders add (B, U).
        steps_in = 1 if self.y_in is not None and self.x.dim() == 2 and self.x.is_floating_point() else self.x.shape[1]
        return self.x.shape[0] * (steps_in + (self.y_in.shape[1] if self.y_in is not None else 0))


def move(t: torch.Tensor, device: torch.device) -> torch.Tensor:
    """`t` on `device`, queued behind the work already there rather than waited for.

    A blocking host→GPU copy waits for the GPU to finish everything queued (the next step could not be
    queued while this one runs), and a non-blocking copy from ordinary (pageable) host memory still goes
    through a staging buffer the host fills itself. So on CUDA a host tensor is first copied into pinned
    memory (what DataLoader's pin_memory does), from which the GPU reads while the host moves on; the
    caching host allocator keeps that memory alive until the copy is done. Pinning needs CUDA (it
    raises on a CPU-only build), so elsewhere it is a plain non-blocking move (a no-op on the CPU).
    """
    if device.type == "cuda" and t.device.type == "cpu":
        t = t.pin_memory()
    return t.to(device, non_blocking=True)


def pad_sequences(seqs: Sequence[Sequence[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad id lists into (N, T_max) and return lengths (N,)."""
    lengths = [len(s) for s in seqs]
    width = max(1, max(lengths, default=0))
    # The rows laid end to end in one int64 array, then one copy into a tensor: a row at a time took
    # two torch calls per example (1.7 s for translate's 40,000 pairs), a tensor from nested lists
    # 0.1 s for cat-sat's 20,000 sentences; this, 0.03 s.
    flat, fill = array("q"), [pad] * width
    for s in seqs:
        flat.extend(s)
        flat.extend(fill[: width - len(s)])
    out = torch.frombuffer(flat, dtype=torch.long).clone() if flat else torch.zeros(0, dtype=torch.long)
    return out.view(len(seqs), width), torch.tensor(lengths, dtype=torch.long)


def padded(seqs: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """`pad_sequences` padded with 0: a table of short id lists to gather rows from."""
    return pad_sequences(seqs, 0)


def concat_padded(parts: Sequence[tuple[torch.Tensor, torch.Tensor]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Each row's parts laid end to end, right-padded with `pad`, and the rows' lengths: what
    `pad_sequences` makes of the concatenated lists, in a few tensor operations. A part is ids
    (N, W) whose first `lengths[i]` in row i count, and those lengths (N,)."""
    src = torch.cat([ids for ids, _ in parts], 1)
    kept = torch.cat([torch.arange(ids.shape[1]) < n[:, None] for ids, n in parts], 1)
    lengths = torch.stack([n for _, n in parts]).sum(0)
    out = torch.full((src.shape[0], max(1, int(lengths.max()) if len(lengths) else 0)), pad, dtype=torch.long)
    rows = torch.arange(src.shape[0])[:, None].expand_as(src)
    out[rows[kept], (kept.long().cumsum(1) - 1)[kept]] = src[kept]
    return out, lengths


def exact_match(pred: torch.Tensor, target: torch.Tensor, eos: int) -> torch.Tensor:
    """(B,) bool: the decoded sequence equals the target up to and including its EOS."""
    b, u = target.shape
    pred = pred[:, :u]
    if pred.shape[1] < u:
        pred = torch.cat([pred, torch.full((b, u - pred.shape[1]), -1, dtype=pred.dtype)], 1)
    valid = target != IGNORE
    # Positions after the target's EOS are ignored; positions up to it must all agree.
    return ((pred == target) | ~valid).all(dim=1) & valid.any(dim=1) & (target == eos).any(dim=1)
