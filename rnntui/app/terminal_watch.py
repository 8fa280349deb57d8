"""Noticing that the terminal has gone away when no hangup signal says so.

An SSH link that dies without a SIGHUP reaching the app, `nohup rnntui`, a web terminal closed: the
terminal ends and the app never hears of it. Textual's input thread then reads the ended terminal
in a loop at 100 % of a core, forever (Textual pull request #6690), while training goes on beside
it. A thread here waits in poll() for the terminal's hangup only (no event asked for: poll reports
a hangup or an error regardless), so it costs nothing while the terminal lives and wakes once.
"""

from __future__ import annotations

import os
import select
import sys
import threading
from collections.abc import Callable


def watch_terminal(on_lost: Callable[[], None]) -> threading.Thread | None:
    """Call `on_lost` (from the watching thread) once the terminal on standard input hangs up.
    None, and nothing watched, where standard input is not a terminal or not on Linux: macOS's
    poll() does not support devices (its man page: a terminal answers "invalid" at once, which
    would end the app as it starts), and Windows has no poll()."""
    stdin = sys.__stdin__
    if stdin is None or not sys.platform.startswith("linux"):
        return None
    try:
        fd = stdin.fileno()
    except (OSError, ValueError):
        return None
    if not os.isatty(fd):
        return None

    def wait() -> None:
        poller = select.poll()
        poller.register(fd, 0)  # no events: only a hangup, an error or a closed descriptor wake it
        events = 0
        while not events:  # (an interrupted call returns nothing and waits again)
            events = sum(mask for _, mask in poller.poll())
        if events & (select.POLLHUP | select.POLLERR):  # (a closed descriptor: nothing to say)
            on_lost()

    thread = threading.Thread(target=wait, name="terminal-watch", daemon=True)
    thread.start()
    return thread
