"""The child side of `TrainerProcess`: one Trainer in its own process, driven over a pipe.

Why a process: inside the app, training in a thread shares the GIL with the UI. For the small
networks of the lessons a step is mostly Python, so every millisecond the UI spends drawing is a
millisecond the training thread waits (measured: the app trained at ~0.78× the bare loop). Here the
trainer owns a whole interpreter; the app only reads its events.

Protocol (every message is `pickle.dumps((kind, payload))`, between two processes of one program):
- parent → child: ("run", every_s, run_path, steps) · ("step",) · ("pause",) · ("resume",) · ("stop",)
  · ("weights", wanted) · ("close",)
- child → parent: ("ready", Ready) or ("error", text) once; then ("event", Event) · ("weights",
  state_dict) · ("paused", step) · ("stepped", step) · ("idle", step) after each run · ("crashed",
  traceback) just before an exit nobody asked for.

The main thread trains; a listener thread turns commands into flags (stop, pause) or jobs, so a
pause takes effect between two steps and a single step while paused runs in the training thread
(OpenMP keeps a pool per thread: stepping in another thread would slow training down afterwards).
"""

from __future__ import annotations

import os
import pickle
import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import torch

from rnntui.core import events as ev
from rnntui.core.runs import RunDir
from rnntui.core.spec import ExperimentSpec
from rnntui.core.trainer import Trainer

WEIGHTS_EVERY_S = 0.5


@dataclass(frozen=True)
class Order:
    """How the child builds its trainer: a fresh one for `spec`, or `resume` a run directory."""

    spec: ExperimentSpec | None = None
    resume: str | None = None
    threads: int | None = None  # intra-op threads; None keeps torch's default (the core count)
    # Called with the new Trainer before anything else (benchmarks swap in fixed batches).
    setup: Callable[[Trainer], None] | None = None


@dataclass(frozen=True)
class Ready:
    spec: ExperimentSpec
    step: int
    params: int
    device: str
    threads: int
    run_dir: str | None
    weights: dict[str, torch.Tensor]
    # The task's vocabulary and data fingerprint: the app's predictor reads prefixes with exactly the
    # trainer's vocabulary (a resumed run's is the checkpoint's, not one rebuilt from a changed file).
    task_state: dict[str, Any]


def send(conn: Connection, kind: str, payload: Any = None) -> bool:
    """False when the app is gone (the pipe is closed): the run must still end cleanly."""
    try:
        conn.send_bytes(pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:  # BrokenPipeError: the listener sees EOF too and stops the run
        return False
    return True


def child_main(conn: Connection, order: Order) -> None:
    # This process writes to the app's terminal if it writes to stderr at all: a warning or a
    # traceback there would tear the screen. Its Python output goes nowhere; a crash goes to the app.
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (for the life of the process)
    if order.threads:
        torch.set_num_threads(order.threads)
    try:
        if order.resume is not None:
            trainer = Trainer.resume(RunDir(Path(order.resume)))
        else:
            assert order.spec is not None
            trainer = Trainer(order.spec)
        if order.setup is not None:
            order.setup(trainer)
    except Exception as exc:  # reported to the parent, which shows it (e.g. "run … in use by pid N")
        send(conn, "error", str(exc) or type(exc).__name__)
        conn.close()
        return
    send(
        conn,
        "ready",
        Ready(
            spec=trainer.spec,
            step=trainer.step_count,
            params=trainer.model.param_count(),
            device=trainer.device_name,
            threads=torch.get_num_threads(),
            run_dir=str(trainer.run_dir.path) if trainer.run_dir else None,
            weights=trainer.cpu_state(),
            task_state=trainer.task.state(),
        ),
    )
    try:
        # RNNTUI_TRAIN_THREADS (order.threads) is the user's choice; otherwise the first run measures.
        _Child(conn, trainer, tune_threads=not order.threads).serve()
    except Exception:
        send(conn, "crashed", traceback.format_exc())
    finally:
        trainer.close()  # the run's lock


class _Child:
    def __init__(self, conn: Connection, trainer: Trainer, tune_threads: bool) -> None:
        self.conn, self.trainer, self.tune_threads = conn, trainer, tune_threads
        self.stop, self.pause = threading.Event(), threading.Event()
        self.jobs: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self.deferred: list[tuple[Any, ...]] = []  # jobs that came in while paused, not steps
        self.weights_wanted = False
        self.weights_t = 0.0
        self.pause_acked = False

    def listen(self) -> None:
        """Listener thread: flags take effect at once; runs and steps queue for the main thread."""
        while True:
            try:
                cmd = pickle.loads(self.conn.recv_bytes())
            except (EOFError, OSError):  # the app is gone: finish the run cleanly and leave
                cmd = ("close",)
            name = cmd[0]
            if name == "pause":
                self.pause_acked = False
                self.pause.set()
            elif name == "resume":
                self.pause.clear()
            elif name == "weights":
                self.weights_wanted = bool(cmd[1])
            elif name == "stop":
                self.stop.set()
                self.pause.clear()
            elif name == "close":
                self.stop.set()
                self.pause.clear()
                self.jobs.put(cmd)
                return
            else:
                if name == "run":  # cleared here, in command order: a stop sent after it still counts
                    self.stop.clear()
                    self.pause.clear()
                self.jobs.put(cmd)

    def serve(self) -> None:
        threading.Thread(target=self.listen, name="rnntui-commands", daemon=True).start()
        while True:
            cmd = self.deferred.pop(0) if self.deferred else self.jobs.get()
            if cmd[0] == "close":
                break
            if cmd[0] == "step":
                self.do_step()
            elif cmd[0] == "run":
                self.do_run(*cmd[1:])
        self.conn.close()

    # ---- jobs (main thread) ------------------------------------------------------------------
    def do_run(self, every_s: float, run_path: str | None, steps: int | None = None) -> None:
        t = self.trainer
        if t.run_dir is None and run_path is not None:
            t.attach(RunDir(Path(run_path)))  # this process writes the run: it holds its lock
        t.run(
            stop=self.stop,
            pause=self.pause,
            on_event=self.emit,
            every_s=every_s,
            steps=steps,
            while_paused=self.while_paused,
            tune_threads=self.tune_threads,
        )
        send(self.conn, "idle", t.step_count)

    def do_step(self) -> None:
        self.trainer.step(on_event=self.emit)
        self.send_weights()
        send(self.conn, "stepped", self.trainer.step_count)

    def while_paused(self) -> None:
        if not self.pause_acked:
            self.pause_acked = True
            send(self.conn, "paused", self.trainer.step_count)
        while True:
            try:
                cmd = self.jobs.get_nowait()
            except queue.Empty:
                return
            if cmd[0] == "step":
                self.do_step()
            else:
                self.deferred.append(cmd)

    def emit(self, e: ev.Event) -> None:
        # Weights first: the app refreshes Predict when it handles the event.
        due = self.weights_wanted and time.perf_counter() - self.weights_t >= WEIGHTS_EVERY_S
        if isinstance(e, ev.Finished | ev.Diverged) or (isinstance(e, ev.Progress) and due):
            self.send_weights()
        if not send(self.conn, "event", e):
            self.stop.set()  # nobody is listening: end the run (it still checkpoints)

    def send_weights(self) -> None:
        send(self.conn, "weights", self.trainer.cpu_state())
        self.weights_t = time.perf_counter()
