"""Shared helpers for app tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from textual.widgets import Input


async def wait_for(pilot, cond: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)
        await pilot.pause()


async def ready(pilot, name: str | None = None) -> None:
    app = pilot.app
    await wait_for(
        pilot,
        lambda: (
            app.session.trainer is not None
            and app.status.startswith("ready")
            and (name is None or app.session.spec.name == name)
        ),
    )
    for inp in app.query(Input):
        inp.cursor_blink = False
    await pilot.pause()
