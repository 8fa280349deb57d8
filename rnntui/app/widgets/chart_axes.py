"""Axes a reader trusts: "nice" tick positions, integer steps, 3 significant digits, log decades.

plotext picks ticks by dividing the range evenly, which gave "298.2" on a step axis and
"0.00000000" on a log axis. These pure functions pick the ticks and write their labels; the
charts hand both to plotext.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

MAX_TICKS = 50


def nice_step(span: float, count: int) -> float:
    """A step of 1, 2 or 5 × 10^k that divides `span` into the nearest to `count` parts."""
    raw = span / max(1, count)
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    steps = [m * power for m in (1, 2, 5, 10)]
    return min(steps, key=lambda step: (abs(span / step - count), -step))


def nice_ticks(lo: float, hi: float, count: int = 5, integer: bool = False) -> list[float]:
    """Ticks at multiples of a nice step inside [lo, hi] (at least the two ends when it is narrow)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    # A range of a few ulps (a flat curve, or rounding noise of one) has no ticks between its ends:
    # t += step would stop moving t, and the loop would fill memory (a 233-byte metrics file did).
    if hi - lo <= 1e-9 * max(abs(lo), abs(hi), 1e-300):
        return [lo]
    step = nice_step(hi - lo, count)
    if integer:
        step = max(1.0, round(step))
    first = math.ceil(lo / step - 1e-9) * step
    ticks = [first + i * step for i in range(MAX_TICKS) if first + i * step <= hi + step * 1e-9]
    return [0.0 if abs(t) < step * 1e-9 else t for t in ticks] or [lo, hi]


def step_label(v: float) -> str:
    """A training step as a reader writes it: 300, 1500, 12k, 1.2M."""
    n = int(round(v))
    if abs(n) >= 1_000_000:
        return f"{n / 1_000_000:.3g}M"
    if abs(n) >= 100_000:
        return f"{n / 1000:.3g}k"
    return str(n)


def value_label(v: float) -> str:
    """3 significant digits; scientific notation for very small or large values."""
    if v == 0:
        return "0"
    if abs(v) < 1e-3 or abs(v) >= 1e5:
        mantissa, exponent = f"{v:.2e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent)}"
    if abs(v) >= 100:  # f"{1234.5:.3g}" is "1.23e+03": write it as a number
        return f"{round(v, 2 - int(math.floor(math.log10(abs(v))))):.0f}"
    return f"{v:.3g}"


def decade_label(exponent: int) -> str:
    """A log-axis tick: 1e-3, 0.01, 0.1, 1, 10, 100, 1e3."""
    if -2 <= exponent <= 2:
        return f"{10.0**exponent:g}"
    return f"1e{exponent}"


def log_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Ticks for an axis that shows log10 of the values: whole decades (every other one when there
    are many; 2× and 5× between them when there are fewer than three), labelled as values."""
    first, last = math.ceil(lo - 1e-9), math.floor(hi + 1e-9)
    exponents = list(range(first, last + 1))
    if len(exponents) >= 3:
        stride = max(1, math.ceil(len(exponents) / 6))
        chosen = exponents[::stride]
        return [float(e) for e in chosen], [decade_label(e) for e in chosen]
    ticks = []
    for e in range(first - 1, last + 1):
        for m in (1, 2, 5):
            t = e + math.log10(m)
            if lo - 1e-9 <= t <= hi + 1e-9:
                ticks.append(t)
    if len(ticks) < 2:
        return [lo, hi], [value_label(10**lo), value_label(10**hi)]
    exponents = [math.floor(t + 1e-9) for t in ticks]
    sci = min(exponents) < -3 or max(exponents) > 3
    return ticks, [log_label(t, sci) for t in ticks]


def log_label(t: float, sci: bool) -> str:
    """A tick at 10**t (t a decade plus log10 of 1, 2 or 5), every tick of an axis in one notation:
    5e-4 1e-3 2e-3, or 0.005 0.01 0.02 ("1e-3" beside "0.002" read as two scales)."""
    exponent = math.floor(t + 1e-9)
    mantissa = round(10 ** (t - exponent))
    return f"{mantissa}e{exponent}" if sci else f"{mantissa * 10.0**exponent:g}"


def finite(ys: Sequence[float]) -> list[float]:
    return [y for y in ys if math.isfinite(y)]
