"""The app's side of the training process: requests out, replies back, nothing waits.

`TrainerClient.start(order)` returns at once: a reader thread starts the process, sends it the
requests made meanwhile, and hands every reply to `on_reply` (from that thread: it must be
thread-safe, like Textual's `post_message`). `request(cmd)` only writes to the pipe. The answer to a
pause or a step, the end of a run, the process's death: all arrive as replies (trainer_protocol.py).

Processes come from a fork server that has imported torch once (Linux, macOS): starting one costs a
fork and building the model, not another second of `import torch`. `warm_up()` starts that server:
the app starts it first thing when a core is idle (app/main.py), else right after its first frame.
This module imports no torch: the app's process needs none to start a training.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess

from rnntui.core import trainer_protocol as p

START_TIMEOUT_S = 120.0  # a cold fork server imports torch first (2–4 s here; more on a busy box)


def context() -> BaseContext:
    """The fork server's context (Linux, macOS), or spawn's (Windows): for every child of the app."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        # What every child needs, imported once by the server.
        ctx.set_forkserver_preload(["rnntui.core.trainer_child", "rnntui.core.predictor_child"])
        return ctx
    return multiprocessing.get_context("spawn")  # Windows


WARM_UP_PROCESSES = 2  # the fork server and multiprocessing's resource tracker, each a new Python


def spare_core() -> bool:
    """Cores are idle now for the app and the processes warm_up() starts (the load average leaves one
    for each), so those run beside the app's first frame instead of taking its time. Measured on the
    2-core machine with a load of about 2 from other programs, the fork server started before the
    first frame made the frame 1.02 s instead of 0.48, and the network was ready no sooner (3.43 s
    against 3.24). Idle, with one core for two new interpreters, the frame in a terminal was 0.38-0.42 s
    instead of 0.34 (benchmarks/startup.py), and ready 1.21 s instead of 1.50 (import torch 1.31):
    both within their targets only when the warm-up waits for the first frame there."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # (Windows)
        return False
    return load <= (os.cpu_count() or 1) - 1 - WARM_UP_PROCESSES


def warm_up() -> None:
    """Start the fork server now (it imports torch in the background) so the first child starts
    fast; a no-op once it runs. Call it from the thread that owns sys.stderr (see below)."""
    global _warm
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return
    context()
    from multiprocessing import forkserver

    # multiprocessing hands sys.stderr's file descriptor to its helper processes; while a Textual
    # app runs, sys.stderr is a capture object without a usable one ("bad value(s) in fds_to_keep").
    # The swap is brief and done before any worker thread of the app exists.
    saved = sys.stderr
    try:
        sys.stderr = sys.__stderr__ or saved
        forkserver.ensure_running()
    finally:
        sys.stderr = saved
    _warm = True


def warm() -> bool:
    """warm_up() has started the fork server (a training process can be asked for from any thread)."""
    return _warm


_warm = False


def child_entry(conn: Connection, order: p.Order) -> None:
    """The training process's first call. It is here, not in trainer_child.py, so that naming it as a
    process's target does not import the trainer (and torch) into the app; the fork server has."""
    from rnntui.core.trainer_child import child_main

    child_main(conn, order)


class TrainerClient:
    def __init__(self, on_reply: Callable[[p.Reply], None], context: BaseContext | None = None) -> None:
        self.on_reply = on_reply
        self._context = context  # tests fork with a patched Trainer; the app uses the fork server
        self._lock = threading.Lock()
        self._conn: Connection | None = None
        self._proc: BaseProcess | None = None
        self._queued: list[p.Command] = []  # requests made before the process was up
        self._closing = False
        self._crash: str | None = None
        self._thread: threading.Thread | None = None
        self.pid: int | None = None

    def start(self, order: p.Order) -> None:
        self._thread = threading.Thread(target=self._serve, args=(order,), name="rnntui-trainer", daemon=True)
        self._thread.start()

    def request(self, cmd: p.Command) -> None:
        """Send `cmd` (or keep it until the process is up); a gone process reports Lost instead."""
        with self._lock:
            if self._conn is None:
                self._queued.append(cmd)
                return
            try:
                self._conn.send_bytes(pickle.dumps(cmd, protocol=pickle.HIGHEST_PROTOCOL))
            except (OSError, ValueError):  # the process is gone: the reader says so
                pass

    def close(self) -> None:
        """Stop (a run checkpoints first) and exit; Closed arrives when the process has ended."""
        self._closing = True
        self.request(p.Close())

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` for the process to end and its last reply to be read; True if it
        has. Only where waiting is the point: after the app has left (never on its event loop)."""
        deadline = time.monotonic() + timeout
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                return False
        if self._proc is not None:  # (the reader gives up on an exit after 5 s; not this wait)
            self._proc.join(max(0.0, deadline - time.monotonic()))
            return not self._proc.is_alive()
        return True

    def join(self, timeout: float) -> None:
        """Wait for the process to end; kill it if it has not in `timeout` (its last checkpoint stands)."""
        self.wait(timeout)
        if self._proc is not None and self._proc.is_alive():
            self._proc.kill()

    # ---- the reader thread ----------------------------------------------------------------------
    def _serve(self, order: p.Order) -> None:
        ctx = self._context or context()
        conn, child_conn = ctx.Pipe()
        proc = ctx.Process(target=child_entry, args=(child_conn, order), name="rnntui-trainer", daemon=True)
        try:
            proc.start()
        except Exception as exc:  # e.g. no fork server: reported, not raised into a thread
            self.on_reply(p.StartFailed(f"the training process did not start: {exc}"))
            return
        child_conn.close()  # ours is closed: EOF reaches us when the child exits
        self._proc, self.pid = proc, proc.pid
        with self._lock:
            self._conn = conn
            queued, self._queued = self._queued, []
        for cmd in queued:
            self.request(cmd)
        if not conn.poll(START_TIMEOUT_S):
            proc.kill()
            self.on_reply(p.StartFailed(f"the training process did not start in {START_TIMEOUT_S:.0f} s"))
            return
        self._read(conn, proc)

    def _read(self, conn: Connection, proc: BaseProcess) -> None:
        answer: type[p.Reply] | None = None  # Ready or StartFailed, once
        while True:
            try:
                reply = pickle.loads(conn.recv_bytes())
            except (EOFError, OSError):
                break
            if isinstance(reply, p.Crashed):
                self._crash = reply.traceback
                continue
            if isinstance(reply, p.Ready | p.StartFailed):
                answer = type(reply)
            self.on_reply(reply)
        proc.join(5)
        conn.close()
        if answer is None:
            self.on_reply(p.StartFailed(f"the training process exited at start (exit code {proc.exitcode})"))
        elif answer is p.StartFailed:
            return  # said already
        elif self._closing:
            self.on_reply(p.Closed())
        elif self._crash:
            self.on_reply(p.Lost(f"training failed: {self._crash.strip().splitlines()[-1]}"))
        else:
            self.on_reply(p.Lost(f"the training process ended unexpectedly (exit code {proc.exitcode})"))
