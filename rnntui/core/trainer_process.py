"""A Trainer in a child process, seen from the parent: commands out, events and weights back.

The app trains here instead of in a thread: the UI and the training loop then never wait for each
other's GIL. See trainer_child.py for the protocol and the child's side.

Children come from a fork server that has imported torch once (Linux, macOS): starting one costs a
fork and building the model, not another second of `import torch`. `warm_up()` starts that server
early, while the app itself is still importing torch.
"""

from __future__ import annotations

import multiprocessing
import pickle
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rnntui.core import events as ev

if TYPE_CHECKING:  # imported where used: warm_up() must not wait for `import torch`
    from rnntui.core.runs import RunDir
    from rnntui.core.trainer_child import Order, Ready

START_TIMEOUT_S = 120.0  # a cold fork server imports torch first (2–4 s here; more on a busy box)


class TrainerProcessError(RuntimeError):
    """The child could not build its trainer (the message says why) or did not start."""


def _context() -> Any:
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        # The first optimizer a process builds costs 1.5 s or more (optim_preload.py): the server pays it once.
        ctx.set_forkserver_preload(["rnntui.core.trainer_child", "rnntui.core.optim_preload"])
        return ctx
    return multiprocessing.get_context("spawn")  # Windows


def warm_up() -> None:
    """Start the fork server now (it imports torch in the background) so the first child starts
    fast. Call it from the thread that owns sys.stderr (see below)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return
    _context()
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


class TrainerProcess:
    """Drive one child trainer. Callbacks run on this object's reader thread.

    `step_count`, `run_dir`, `running` follow the child's reports; `pause()` and `step()` wait for
    the child's answer so that what the app shows afterwards is exact.
    """

    def __init__(
        self,
        order: Order,
        on_event: Callable[[ev.Event], None] | None = None,
        on_weights: Callable[[dict[str, Any]], None] | None = None,
        on_lost: Callable[[str], None] | None = None,
    ) -> None:
        self.on_event = on_event or (lambda e: None)
        self.on_weights = on_weights or (lambda w: None)
        self.on_lost = on_lost or (lambda why: None)
        from rnntui.core.runs import RunDir
        from rnntui.core.trainer_child import child_main

        ctx = _context()
        self._conn, child_conn = ctx.Pipe()
        self._proc = ctx.Process(target=child_main, args=(child_conn, order), name="rnntui-trainer", daemon=True)
        self._proc.start()
        child_conn.close()  # ours is closed: EOF reaches us when the child exits
        self._send_lock = threading.Lock()
        self._closing = False
        self._crash: str | None = None
        self.alive = True
        self.running = False
        self._idle = threading.Event()
        self._idle.set()
        self._paused = threading.Event()
        self._stepped = threading.Event()
        ready = self._handshake()
        self.spec = ready.spec
        self.step_count = ready.step
        self.params = ready.params
        self.device_name = ready.device
        self.threads = ready.threads
        self.initial_weights: dict[str, Any] | None = ready.weights
        self.task_state: dict[str, Any] = ready.task_state
        self.run_dir = RunDir.open(ready.run_dir) if ready.run_dir else None
        self.pid = self._proc.pid
        threading.Thread(target=self._read, name="rnntui-trainer-events", daemon=True).start()

    def _handshake(self) -> Ready:
        if not self._conn.poll(START_TIMEOUT_S):
            self._proc.kill()
            raise TrainerProcessError(f"the training process did not start in {START_TIMEOUT_S:.0f} s")
        try:
            kind, payload = pickle.loads(self._conn.recv_bytes())
        except (EOFError, OSError) as exc:
            self._proc.join(5)
            why = f"the training process exited at start (exit code {self._proc.exitcode})"
            raise TrainerProcessError(why) from exc
        if kind == "error":
            self._proc.join(5)
            raise TrainerProcessError(payload)
        return payload

    # ---- commands ----------------------------------------------------------------------------
    def _send(self, *cmd: Any) -> None:
        if not self.alive:
            return
        try:
            with self._send_lock:
                self._conn.send_bytes(pickle.dumps(cmd, protocol=pickle.HIGHEST_PROTOCOL))
        except (OSError, ValueError):  # the child is gone; the reader reports it
            pass

    def run(self, every_s: float, run_dir: RunDir | None = None, steps: int | None = None) -> None:
        """Start training up to `steps` in all (default: the spec's); returns at once, and
        `wait_idle()` blocks until the run has finished."""
        if run_dir is not None and self.run_dir is None:
            self.run_dir = run_dir
        self.running = True
        self._idle.clear()
        self._send("run", every_s, str(self.run_dir.path) if self.run_dir else None, steps)

    def wait_idle(self, timeout: float | None = None) -> bool:
        return self._idle.wait(timeout)

    def pause(self, timeout: float = 2.0) -> bool:
        """Pause between two steps; True once the child has stopped stepping (step_count is exact)."""
        if not self.alive:
            return False
        self._paused.clear()
        self._send("pause")
        return self.running and self._wait(self._paused, timeout)

    def resume(self) -> None:
        self._send("resume")

    def stop(self) -> None:
        self._send("stop")

    def step(self, timeout: float = 60.0) -> bool:
        """One step (idle, or paused in a run); True when it was taken."""
        if not self.alive:
            return False
        self._stepped.clear()
        self._send("step")
        return self._wait(self._stepped, timeout) and self.alive

    def _wait(self, answer: threading.Event, timeout: float) -> bool:
        """Wait for the child's answer, but not for a child that has died meanwhile."""
        deadline = time.monotonic() + timeout
        while not answer.wait(0.05):
            if not self.alive or time.monotonic() > deadline:
                return False
        return True

    def want_weights(self, wanted: bool) -> None:
        self._send("weights", wanted)

    def close(self, timeout: float = 20.0) -> None:
        """Stop: a run in progress finishes its step, evaluates and checkpoints; then the child exits."""
        self._closing = True
        self._send("close")
        self._proc.join(timeout)
        if self._proc.is_alive():  # stuck (a huge step on a slow box): its last checkpoint stands
            self._proc.kill()
            self._proc.join(5)
        self._conn.close()

    # ---- reader thread -----------------------------------------------------------------------
    def _read(self) -> None:
        while True:
            try:
                kind, payload = pickle.loads(self._conn.recv_bytes())
            except (EOFError, OSError):
                break
            if kind == "event":
                self._track(payload)
                self.on_event(payload)
            elif kind == "weights":
                self.on_weights(payload)
            elif kind == "paused":
                self.step_count = payload
                self._paused.set()
            elif kind == "stepped":
                self.step_count = payload
                self._stepped.set()
            elif kind == "crashed":
                self._crash = payload
            elif kind == "idle":
                self.step_count = payload
                self.running = False
                self._idle.set()
                self._paused.set()  # a pause that came too late to matter
        self.alive = False
        self.running = False
        for flag in (self._idle, self._paused, self._stepped):
            flag.set()
        if not self._closing:
            self._proc.join(2)
            if self._crash:
                self.on_lost(f"training failed: {self._crash.strip().splitlines()[-1]}")
            else:
                self.on_lost(f"the training process ended unexpectedly (exit code {self._proc.exitcode})")

    def _track(self, e: ev.Event) -> None:
        if isinstance(e, ev.Progress) and e.points:
            self.step_count = e.points[-1].step
        elif isinstance(e, ev.Started | ev.Finished):
            self.step_count = e.step
        elif isinstance(e, ev.Diverged):  # the weights went back to the last good step
            self.step_count = e.restored_step
