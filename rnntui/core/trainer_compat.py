"""compatibility: trainer_child.py until its rewrite. Delete this module once the child drives
`Trainer.run_until` / `Trainer.finish` itself (pausing is then the child's: a halt, single steps,
and another run_until).

Today's child calls `Trainer.run(pause=, while_paused=, tune_threads=)`: a run that waits between two
steps while `pause` is set, calling `while_paused` every 20 ms in the training thread (where the
child takes its single steps: OpenMP keeps a thread pool per thread).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from rnntui.core import events as ev
from rnntui.core.reporting import OnEvent

if TYPE_CHECKING:
    from rnntui.core.trainer import Trainer

PAUSED_POLL_S = 0.02


def run_pausable(
    trainer: Trainer,
    stopped: Callable[[], bool],
    on_event: OnEvent | None,
    every_s: float,
    steps: int | None,
    pause: threading.Event | None,
    while_paused: Callable[[], None] | None,
    tune_threads: bool,
) -> ev.Finished:
    paused = pause.is_set if pause is not None else lambda: False
    while True:
        end = trainer.run_until(lambda: stopped() or paused(), on_event, every_s, steps)
        if end is not ev.RunEnd.HALTED or stopped():
            return trainer.finish(end.value, on_event)
        while paused() and not stopped():
            if while_paused is not None:
                while_paused()
            time.sleep(PAUSED_POLL_S)
