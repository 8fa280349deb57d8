"""The k most probable entries of a probability vector, highest first, ties in index order.

The vocabulary's order breaks ties so that a prediction does not flicker between equal tokens. A
keystroke's top 5 of doubling's 1,000+ numbers: read all of them into Python and pick (0.1-0.2 ms
with cold caches), or ask torch for a few more than k and order only those (one operation).
"""

from __future__ import annotations

import heapq

import torch


def top_k(probs: torch.Tensor, k: int, skip: tuple[int, ...] = ()) -> list[tuple[int, float]]:
    """(index, value) of the k highest values of the 1-D `probs`, never an index in `skip`."""
    n = probs.numel()
    m = min(n, k + len(skip))
    # One more than needed: if it is smaller than the m-th, every entry equal to the m-th is among
    # those fetched, so ordering them by (value, index) is the whole vector's order.
    values, index = probs.topk(min(n, m + 1))
    vals, idx = values.tolist(), index.tolist()
    if m < n and vals[m] == vals[m - 1]:  # a tie across the cut (an untrained net's flat output)
        return full_top_k(probs.tolist(), k, skip)
    order = sorted(zip(vals[:m], idx[:m], strict=True), key=lambda vi: (-vi[0], vi[1]))
    return [(i, v) for v, i in order if i not in skip][:k]


def full_top_k(values: list[float], k: int, skip: tuple[int, ...] = ()) -> list[tuple[int, float]]:
    """The same from all values: the reference, and the way when ties cross the cut."""
    candidates = (i for i in range(len(values)) if i not in skip)
    return [(i, values[i]) for i in heapq.nsmallest(k, candidates, key=lambda i: (-values[i], i))]
