"""Keystroke → repainted prediction, in the app, while training runs (issue 15, target 4b).

    python benchmarks/keystroke_repaint.py [--presets hello,char-lm] [--sizes 120x40,80x24]
                                           [--keys 40] [--long 200]

The app runs headless (`App.run_test()`) at each size with the preset loaded and training running
(its child process takes a core: the condition a user types in). In Predict, N characters are
typed one at a time, each sent the way a terminal's key arrives (the driver's queue), and timed
from the key press to the moment the prediction widget renders the prediction for the new prefix:
the view's state is watched (the prediction for exactly that prefix) and the widget's render is
hooked, so nothing sleeps. Keys are typed after the preset's example and again after a long
prefix (`--long` characters), since the cost must not grow with the prefix.

Baselines from the same run: "echo" is the same key press to the moment the prefix field itself
repaints (Textual's own floor for a key on this machine, with training running), and "bare step"
is one fused recurrent step + head + softmax + top-k in bare PyTorch on the same model.
Target: median ≤ 30 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from app_helpers import ready, wait_for  # noqa: E402
from textual import events  # noqa: E402
from textual.widget import Widget  # noqa: E402
from textual.widgets import Input, Static  # noqa: E402

from rnntui.app.app import RnnApp  # noqa: E402
from rnntui.app.state import Phase  # noqa: E402
from rnntui.app.widgets.predict_view import PredictView  # noqa: E402
from rnntui.core.presets import resolve  # noqa: E402
from rnntui.core.spec import set_value  # noqa: E402

TARGET_MS = 30.0
LONG_RUN = 1_000_000  # training steps
TYPED = "the quick brown fox jumps over the lazy dog and then some more words "


def bare_step_ms(preset: str) -> float:
    """One fused step + head + softmax + top-k of the preset's model, bare PyTorch, one thread."""
    import torch
    from common import spec_for

    from rnntui.core.experiment import build

    torch.set_num_threads(1)  # as the predictor's process runs
    task, model = build(spec_for(preset))
    model.eval()
    x = torch.zeros(1, 1, dtype=torch.long)
    times = []
    with torch.no_grad():
        state = None
        for _ in range(60):
            t0 = time.perf_counter()
            seq, state = model.rnn(model.embed(x), state)
            torch.softmax(model.head(seq[0, -1]), -1).topk(5)
            times.append(time.perf_counter() - t0)
    return statistics.median(times[10:]) * 1e3


class Painted:
    """Resolves when the compositor draws `widget`'s lines while `ready()` holds (the hook is on
    the widget's render_lines, which the compositor calls for every widget it repaints)."""

    def __init__(self, widget: Widget) -> None:
        self.event = asyncio.Event()
        self.ready: Callable[[], bool] = lambda: False
        original = widget.render_lines

        def render_lines(crop):
            out = original(crop)
            if self.ready():
                self.event.set()
            return out

        widget.render_lines = render_lines  # type: ignore[method-assign]

    def arm(self, ready: Callable[[], bool]) -> None:
        self.ready = ready
        self.event.clear()


async def type_and_time(pilot, view: PredictView, chars: str) -> tuple[list[float], list[float]]:
    """(key → prediction repainted, key → prefix field repainted) in ms, one per character."""
    app = pilot.app
    prefix = app.query_one("#prefix", Input)
    prediction = app.query_one("#prediction", Static)
    shown, echoed = Painted(prediction), Painted(prefix)
    repaint, echo = [], []
    for ch in chars:
        expected = prefix.value + ch
        shown.arm(lambda e=expected: view.prediction is not None and view.prediction.prefix == e)
        echoed.arm(lambda e=expected: prefix.value == e)
        key = "space" if ch == " " else ch
        t0 = time.perf_counter()
        app._driver.send_message(events.Key(key, ch))  # as a terminal's key arrives
        await asyncio.wait_for(echoed.event.wait(), 10)
        echo.append((time.perf_counter() - t0) * 1e3)
        await asyncio.wait_for(shown.event.wait(), 10)
        repaint.append((time.perf_counter() - t0) * 1e3)
    return repaint, echo


async def measure(preset: str, size: tuple[int, int], keys: int, long: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as runs:  # (the run may still be closing)
        app = RnnApp(preset, runs_dir=runs)
        async with app.run_test(size=size) as pilot:
            await ready(pilot, preset)
            # Enough steps that training outlasts the measurement (a preset's own count ends sooner).
            spec = set_value(resolve(preset), "train", "steps", LONG_RUN)
            app._start(spec=spec)
            await wait_for(pilot, lambda: app.training.spec == spec and app.training.phase is Phase.READY)
            await ready(pilot, preset)
            await pilot.press("space")  # train
            await wait_for(pilot, lambda: app.training.phase is Phase.TRAINING and app.training.step > 0)
            await pilot.press("3")  # Predict
            view = app.query_one(PredictView)
            await wait_for(pilot, lambda: view.prediction is not None)
            for label, start in (("short", None), (f"{long} chars", long)):
                if start is not None:
                    text = (TYPED * (start // len(TYPED) + 1))[:start]
                    field = app.query_one("#prefix", Input)
                    field.value, field.cursor_position = text, len(text)  # typing goes on at its end
                    await wait_for(pilot, lambda t=text: view.prediction is not None and view.prediction.prefix == t)
                repaint, echo = await type_and_time(pilot, view, (TYPED * 4)[:keys])
                out[f"{label}"] = repaint
                out[f"{label} echo"] = echo
            assert app.training.phase is Phase.TRAINING, "training stopped during the measurement"
            await pilot.press("space")
    return out


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--presets", default="hello,char-lm")
    ap.add_argument("--sizes", default="120x40,80x24")
    ap.add_argument("--keys", type=int, default=40)
    ap.add_argument("--long", type=int, default=200)
    args = ap.parse_args()
    print(f"keystroke → repainted prediction, training running; target median ≤ {TARGET_MS:.0f} ms")
    print(f"{'preset':<9}{'size':>7}{'prefix':>11}{'median':>9}{'p90':>8}{'echo med':>10}{'bare step':>11}  verdict")
    for preset in args.presets.split(","):
        bare = bare_step_ms(preset)
        for size_s in args.sizes.split(","):
            w, h = (int(v) for v in size_s.split("x"))
            figures = asyncio.run(measure(preset, (w, h), args.keys, args.long))
            for label in [k for k in figures if not k.endswith("echo")]:
                xs, echo = figures[label], figures[f"{label} echo"]
                med = statistics.median(xs)
                verdict = "ok" if med <= TARGET_MS else "OVER"
                print(
                    f"{preset:<9}{size_s:>7}{label:>11}{med:>8.1f} {pct(xs, 0.9):>7.1f}"
                    f"{statistics.median(echo):>10.1f}{bare:>10.3f}   {verdict}"
                )


if __name__ == "__main__":
    main()
