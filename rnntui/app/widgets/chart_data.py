"""A chart's data made drawable: thinned to the points the width can show, smoothed."""

from __future__ import annotations

import math
from collections.abc import Sequence


def downsample(xs: Sequence[float], ys: Sequence[float], n: int) -> tuple[list[float], list[float]]:
    """Keep at most n points by averaging buckets (keeps spikes visible better than striding)."""
    if len(xs) <= n or n <= 0:
        return list(xs), list(ys)
    out_x, out_y = [], []
    size = len(xs) / n
    for i in range(n):
        a, b = int(i * size), max(int((i + 1) * size), int(i * size) + 1)
        seg = [y for y in ys[a:b] if math.isfinite(y)]
        if seg:
            out_x.append(xs[b - 1])
            out_y.append(sum(seg) / len(seg))
    return out_x, out_y


def ema(ys: Sequence[float], alpha: float = 0.05) -> list[float]:
    out, m = [], None
    for y in ys:
        if math.isfinite(y):
            m = y if m is None else (1 - alpha) * m + alpha * y
        out.append(m if m is not None else float("nan"))
    return out


GROW_SLACK = 5  # a growing axis is at least ~5/6 full, and holds still for 1/5 to 1/10 of its growth


def growing_end(lo: float, hi: float, slack: int = GROW_SLACK) -> float:
    """Where an axis of growing data (training steps) ends: past `hi` by up to a nice step of about
    (hi - lo) / slack, and the same end until the data reaches it. An axis that ends at the last
    point rescales at every redraw, so every cell of the chart moves and is sent to the terminal
    again; held still, a redraw sends the few columns the new points fill."""
    span = hi - lo
    if not (math.isfinite(span) and span > 0):
        return hi
    raw = span / slack
    unit = 10.0 ** math.floor(math.log10(raw))
    step = max(1.0, max(m * unit for m in (1, 2, 5) if m * unit <= raw))
    return lo + (math.floor(span / step) + 1) * step


def downsample_on(
    xs: Sequence[float], ys: Sequence[float], n: int, lo: float, hi: float
) -> tuple[list[float], list[float]]:
    """At most n points: the mean of each of n equal slices of the axis [lo, hi] (its last x). The
    slices are the axis's, not the data's: a new point changes only the last slice, so what was
    drawn stays where it was (`downsample` slices by index, and every slice moved with each point)."""
    if len(xs) <= n or n <= 0 or hi <= lo:
        return downsample(xs, ys, n)
    width = (hi - lo) / n
    sums: dict[int, tuple[float, float, int]] = {}
    for x, y in zip(xs, ys, strict=False):
        if math.isfinite(y):
            k = min(n - 1, max(0, int((x - lo) / width)))
            total, _, count = sums.get(k, (0.0, x, 0))
            sums[k] = (total + y, x, count + 1)
    slices = [sums[k] for k in sorted(sums)]
    return [s[1] for s in slices], [s[0] / s[2] for s in slices]
