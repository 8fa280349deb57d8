"""Pick the faster number of intra-op threads for this model on this machine, while it trains.

Small recurrent networks spend a step in many tiny ops, where a second OpenMP thread buys little
and costs a wake-up per op; bigger ones gain from every core. Measured on the 2-core CI machine
inside the app (whose UI process needs some CPU too), as app/bare-loop ratios: hello 0.83 with 2
threads vs 0.95 with 1; long-memory 1.00 with 2 vs 0.76 with 1. No fixed count suits both, so the
trainer tries both on real training steps and keeps the faster.

The trial interleaves short blocks (most-threads first, then one, ROUNDS times) so that a machine
whose speed drifts over seconds favours neither, and compares the median block. Nothing is
wasted: every trial step is a normal training step.
"""

from __future__ import annotations

import statistics
import time

import torch

BLOCK_S = 0.08  # one block of steps at one thread count
ROUNDS = 3
MIN_GAIN = 0.03  # fewer threads must be ≥ 3 % faster to be chosen


class ThreadTuner:
    def __init__(self, most: int | None = None) -> None:
        self.candidates = [most or torch.get_num_threads(), 1]
        self.choice: int | None = None if self.candidates[0] > 1 else self.candidates[0]
        self._times: dict[int, list[float]] = {n: [] for n in self.candidates}
        self._order = [n for _ in range(ROUNDS) for n in self.candidates]
        self._block_start = 0.0
        self._block_steps = 0
        self._block_time = 0.0

    @property
    def done(self) -> bool:
        return self.choice is not None

    def before_step(self) -> None:
        if self._block_steps == 0:
            torch.set_num_threads(self._order[0])
            self._block_start = time.perf_counter()

    def after_step(self, step_s: float) -> None:
        """`step_s`: this step's time. The first step of a block (after a switch) is not counted."""
        self._block_steps += 1
        if self._block_steps > 1:
            self._block_time += step_s
        if time.perf_counter() - self._block_start < BLOCK_S or self._block_steps < 3:
            return
        self._times[self._order.pop(0)].append(self._block_time / (self._block_steps - 1))
        self._block_steps, self._block_time = 0, 0.0
        if not self._order:
            self._decide()

    def _decide(self) -> None:
        most, one = (statistics.median(self._times[n]) for n in self.candidates)
        self.choice = 1 if one < most * (1 - MIN_GAIN) else self.candidates[0]
        torch.set_num_threads(self.choice)

    def summary(self) -> str:
        per_step = ", ".join(f"{n}: {statistics.median(t) * 1e3:.2f} ms" for n, t in self._times.items() if t)
        return f"{self.choice} intra-op thread(s) ({per_step} per step)"
