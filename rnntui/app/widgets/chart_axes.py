"""Axes a reader trusts: "nice" tick positions, integer steps, 3 significant digits, log decades.

plotext picks ticks by dividing the range evenly, which gave "298.2" on a step axis and
"0.00000000" on a log axis. These pure functions pick the ticks and write their labels; the
charts hand both to plotext.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

MAX_TICKS = 50
Labeller = Callable[[float], str]


def nice_steps(span: float) -> list[float]:
    """Steps of 1, 2 or 5 × 10^k from about span/100 to span: the candidates for an axis."""
    top = math.floor(math.log10(span))
    return [m * 10.0**k for k in range(top - 2, top + 1) for m in (1, 2, 5)]


def ticks_at(lo: float, hi: float, step: float) -> list[float]:
    """The multiples of `step` inside [lo, hi] (at most MAX_TICKS)."""
    first = math.ceil(lo / step - 1e-9) * step
    ticks = [first + i * step for i in range(MAX_TICKS) if first + i * step <= hi + step * 1e-9]
    return [0.0 if abs(t) < step * 1e-9 else t for t in ticks]


def nice_ticks(
    lo: float, hi: float, count: int = 5, integer: bool = False, at_least: int = 1, label: Labeller | None = None
) -> list[float]:
    """Ticks at multiples of a nice step inside [lo, hi], as near to `count` as the step allows but
    at least `at_least` of them when any nice step gives that many (a 150-step axis got only "100"),
    their labels (`label`) all different; the two ends when no step fits."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    # A range of a few ulps (a flat curve, or rounding noise of one) has no ticks between its ends:
    # t += step would stop moving t, and the loop would fill memory (a 233-byte metrics file did).
    if hi - lo <= 1e-9 * max(abs(lo), abs(hi), 1e-300):
        return [lo]
    span = hi - lo
    if not math.isfinite(span):  # -1e308 to 1e308
        return [lo, hi]
    steps = sorted({max(1.0, round(s)) if integer else s for s in nice_steps(span)})
    options = []
    for step in steps:
        ticks = ticks_at(lo, hi, step)
        distinct = label is None or len({label(t) for t in ticks}) == len(ticks)
        if ticks and distinct and len(ticks) < MAX_TICKS:
            options.append((len(ticks) < at_least, abs(span / step - count), -step, ticks))
    return min(options)[3] if options else [lo, hi]


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


def log_ticks(lo: float, hi: float, count: int = 6, at_least: int = 3) -> tuple[list[float], list[str]]:
    """Ticks for an axis that shows log10 of the values: whole decades (every other one when there
    are more than `count`); with fewer than `at_least`, 2× and 5× between them, then every digit,
    then plain steps of the values. Every label of the axis in one notation: 1e-3 1e-2 0.1 read as
    two scales, so when one tick needs an exponent, all have one."""
    first, last = math.ceil(lo - 1e-9), math.floor(hi + 1e-9)
    ticks = [float(e) for e in range(first, last + 1)]
    if len(ticks) > max(count, at_least):
        ticks = ticks[:: math.ceil(len(ticks) / max(count, at_least))]
    for mantissas in ((1, 2, 5), range(1, 10)):
        if len(ticks) >= at_least:
            break
        ticks = [
            e + math.log10(m)
            for e in range(first - 1, last + 1)
            for m in mantissas
            if lo - 1e-9 <= e + math.log10(m) <= hi + 1e-9
        ]
    if len(ticks) < at_least:  # less than a tenth of a decade: plain steps of the values
        values = nice_ticks(10**lo, 10**hi, count=at_least, at_least=at_least, label=value_label)
        return [math.log10(v) for v in values if v > 0], [value_label(v) for v in values if v > 0]
    return ticks, log_labels(ticks)


def log_labels(ticks: Sequence[float]) -> list[str]:
    """Labels of ticks at 10**t: 0.01 0.1 1 10 100, or all with an exponent (5e-4 1e-3 2e-3) when
    one is below 0.01 or above 1000."""
    exponents = [math.floor(t + 1e-9) for t in ticks]
    sci = min(exponents) < -2 or max(exponents) > 3
    out = []
    for t, exponent in zip(ticks, exponents, strict=True):
        mantissa = round(10 ** (t - exponent))
        out.append(f"{mantissa}e{exponent}" if sci else f"{mantissa * 10.0**exponent:g}")
    return out


def finite(ys: Sequence[float]) -> list[float]:
    return [y for y in ys if math.isfinite(y)]
