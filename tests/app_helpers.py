"""Shared helpers for app tests."""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections.abc import Callable

from textual.widgets import Input

from rnntui.app.messages import TrainerReplied
from rnntui.app.state import Phase
from rnntui.core import trainer_protocol as p


async def wait_for(pilot, cond: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)
        await pilot.pause()


async def ready(pilot, name: str | None = None) -> None:
    """The network is built and idle (and its predictor has it), optionally for preset `name`."""
    app = pilot.app
    await wait_for(
        pilot,
        lambda: (
            app.views_ready
            and app.training.phase is Phase.READY
            and (name is None or app.training.spec.name == name)
            and app.query_one("#predict").ready
        ),
    )
    for inp in app.query(Input):
        inp.cursor_blink = False
    await pilot.pause()


async def compare_cells(pilot, steps: int, eval_every: int) -> None:
    """Load a tiny next-character LSTM (`steps` steps) and start comparing it across cells (c, the
    first axis); returns once the comparison has started."""
    import dataclasses

    from helpers import tiny

    app = pilot.app
    spec = tiny("char_lm", {"seq_len": 12, "corpus": "hello", "case": "upper"}, cell="lstm")
    spec = dataclasses.replace(spec, train=dataclasses.replace(spec.train, steps=steps, eval_every=eval_every))
    app._start(spec=spec)
    await wait_for(pilot, lambda: app.training.spec == spec and app.training.phase is Phase.READY)
    await pilot.press("c")
    await pilot.pause()
    await pilot.press("enter")  # the first axis: cells
    await wait_for(pilot, lambda: app.compare_state is not None)


def inject(app, event) -> None:
    """A trainer event, as if the current training process had reported it."""
    app.post_message(TrainerReplied(app.link.current, p.Event(event)))


def steps(app) -> int:
    return app.training.step


_TEXT = re.compile(
    r'<text[^>]*? x="([\d.]+)"[^>]*?textLength="([\d.]+)"[^>]*?url\(#terminal-[\w-]*?line-(\d+)\)">(.*?)</text>'
)


def screen_lines(app) -> list[str]:
    """What the terminal shows, line by line (from the app's SVG screenshot): the characters that
    really reach the screen, after markup, wrapping and cropping."""
    cells: dict[int, dict[int, str]] = {}
    found = [(float(x), float(w), int(n), html.unescape(t)) for x, w, n, t in _TEXT.findall(app.export_screenshot())]
    width = next((w / len(t) for _, w, _, t in found if t), 1.0)
    left = min((x for x, _, _, _ in found), default=0.0)
    for x, _, n, t in found:
        col = round((x - left) / width)
        row = cells.setdefault(n, {})
        for i, ch in enumerate(t):
            row[col + i] = ch
    out = []
    for n in range(app.size.height):  # a line with nothing on it has no <text>
        row = cells.get(n, {})
        out.append("".join(row.get(c, " ") for c in range(max(row, default=-1) + 1)).replace("\xa0", " ").rstrip())
    return out


def screen_text(app) -> str:
    return "\n".join(screen_lines(app))
