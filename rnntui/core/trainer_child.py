"""The training process: one Trainer, driven over a pipe (core/trainer_protocol.py says what is said).

Why a process: inside the app, training in a thread shares the GIL with the UI. For the small
networks of the lessons a step is mostly Python, so every millisecond the UI spends drawing is a
millisecond the training thread waits (measured: the app trained at ~0.78× the bare loop). Here the
trainer owns a whole interpreter; the app only reads its replies.

The main thread trains. A listener thread turns commands into flags (pause, stop), which take
effect between two steps, and into jobs for the main thread (run, step), which it waits for on a
queue: nothing here polls. Single steps while paused run on the main thread too (OpenMP keeps a
pool per thread: stepping in another thread would slow training down afterwards).
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import queue
import signal
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path

import torch

from rnntui.core import events as ev
from rnntui.core import trainer_protocol as p
from rnntui.core.errors import RunError
from rnntui.core.events import RunEnd
from rnntui.core.run_history import past_events
from rnntui.core.runs import RunDir
from rnntui.core.threads import training_threads
from rnntui.core.trainer import Trainer

# Predict follows training once a second: each copy repaints every heatmap row (new values in every
# cell), ~15 KB down the wire at 120×40; twice a second made char-lm's Predict 29–37 KB/s, over the
# 30 KB/s an SSH link over a phone must carry (benchmarks/wire.py).
WEIGHTS_EVERY_S = 1.0


def send(conn: Connection, reply: p.Reply) -> bool:
    """False when the app is gone (the pipe is closed): the run must still end cleanly."""
    try:
        conn.send_bytes(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:  # BrokenPipeError: the listener sees EOF too and stops the run
        return False
    return True


def build(order: p.Order) -> Trainer:
    if order.resume is not None:
        return Trainer.resume(RunDir(Path(order.resume)))
    if order.preset is not None:
        from rnntui.core.presets import resolve

        return Trainer(resolve(order.preset))
    assert order.spec is not None
    return Trainer(order.spec)


def child_main(conn: Connection, order: p.Order) -> None:
    # The fork server's imports (torch, ~100 MB of Python objects) are shared with this process
    # until written to: a garbage collection writes to every object it walks, copying its page.
    # Frozen, they are never walked (measured: the tree's PSS while training with Predict open,
    # 454 MB before, 395–402 after: this process and the predictor's each copied most of those pages).
    gc.freeze()
    # This process writes to the app's terminal if it writes to stderr at all: a warning or a
    # traceback there would tear the screen. Its Python output goes nowhere; a crash goes to the app.
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (for the life of the process)
    # A closed terminal hangs up the app and this process alike (one process group): measured, the
    # run was left "running" at its last 30-second checkpoint. This process outlives the hang-up:
    # the app's end closes the pipe, and on its EOF the run stops, is saved, and the process exits.
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        # Building is many small tensor operations (a task's data: translate's pools in 40 ops of
        # 40,000 rows): measured, 0.37 s on two threads while another process used the second core,
        # 0.02 s on one. Training gets its own count below.
        torch.set_num_threads(1)
        trainer = build(order)
        # RNNTUI_TRAIN_THREADS (order.threads) is the user's choice; otherwise a rule on the model's size.
        torch.set_num_threads(order.threads or training_threads(trainer.spec))
    except Exception as exc:  # reported to the parent, which shows it (e.g. "run … in use by pid N")
        send(conn, p.StartFailed(str(exc) or type(exc).__name__))
        conn.close()
        return
    ready = p.Ready(
        spec=trainer.spec,
        step=trainer.step_count,
        params=trainer.model.param_count(),
        device=trainer.device_name,
        threads=torch.get_num_threads(),
        run_dir=str(trainer.run_dir.path) if trainer.run_dir else None,
        task_state=trainer.task.state(),
        baseline=trainer.task.baseline,
        history=tuple(past_events(trainer.run_dir, trainer.step_count)) if trainer.run_dir else (),
    )
    send(conn, ready)
    send(conn, p.WeightsCopy(p.Weights(trainer.cpu_state())))  # for the app's predictor
    try:
        Child(conn, trainer).serve()
    except Exception:
        send(conn, p.Crashed(traceback.format_exc()))
    finally:
        trainer.close()  # the run's lock


class Wake(p.Command):
    """From the listener to a main thread waiting while paused: a flag changed, look again."""


class WeightsNow(p.Command):
    """From the listener: weights were just wanted; send a copy when between steps (idle or paused)."""


class Child:
    def __init__(self, conn: Connection, trainer: Trainer) -> None:
        self.conn, self.trainer = conn, trainer
        self.stop, self.pause = threading.Event(), threading.Event()
        self.jobs: queue.SimpleQueue[p.Command] = queue.SimpleQueue()
        self.deferred: list[p.Command] = []  # runs that came in during a run
        self.weights_wanted = False
        self.weights_t = 0.0
        self.unsaved = False  # a save failed and stopped a run; the next run marks the folder running again

    def listen(self) -> None:
        """Listener thread: flags take effect at once; runs and steps queue for the main thread."""
        while True:
            try:
                cmd = pickle.loads(self.conn.recv_bytes())
            except (EOFError, OSError):  # the app is gone: finish the run cleanly and leave
                cmd = p.Close()
            if isinstance(cmd, p.Pause):
                self.pause.set()
            elif isinstance(cmd, p.Resume):
                self.pause.clear()
                self.jobs.put(Wake())
            elif isinstance(cmd, p.WantWeights):
                self.weights_wanted = cmd.wanted
                if cmd.wanted:  # Predict opened: it needs the weights as they are now, not at the next report
                    self.jobs.put(WeightsNow())
            elif isinstance(cmd, p.Stop | p.Close):
                self.stop.set()
                self.pause.clear()
                self.jobs.put(cmd if isinstance(cmd, p.Close) else Wake())
                if isinstance(cmd, p.Close):
                    return
            else:
                if isinstance(cmd, p.Run):  # cleared here, in command order: a stop sent after it counts
                    self.stop.clear()
                    self.pause.clear()
                self.jobs.put(cmd)

    def serve(self) -> None:
        threading.Thread(target=self.listen, name="rnntui-commands", daemon=True).start()
        while True:
            cmd = self.deferred.pop(0) if self.deferred else self.jobs.get()
            if isinstance(cmd, p.Close):
                break
            if isinstance(cmd, p.Step):
                self.do_step()
            elif isinstance(cmd, p.Run):
                self.do_run(cmd)
            elif isinstance(cmd, WeightsNow):
                self.send_weights()
        self.conn.close()

    # ---- jobs (main thread) ------------------------------------------------------------------
    def do_run(self, cmd: p.Run) -> None:
        t = self.trainer
        if t.run_dir is None:  # this process writes the run: it creates it and holds its lock
            base = Path(cmd.runs_base) if cmd.runs_base is not None else None
            try:
                t.attach(RunDir.create(base, t.spec))
            except Exception as exc:  # a runs folder that cannot be written: said, and nothing trains
                send(self.conn, p.RunFailed(str(exc) or type(exc).__name__))
                send(self.conn, p.Idle(t.step_count))
                return
        if self.unsaved:  # the last run stopped at a failed save: this one continues it
            self.unsaved = False
            t.writer.running()
        halt = lambda: self.stop.is_set() or self.pause.is_set()  # noqa: E731 (asked before every step)
        try:
            while True:
                end = t.run_until(halt, self.emit, cmd.every_s, cmd.steps)
                if end is not RunEnd.HALTED or self.stop.is_set():
                    break
                self.wait_paused()
            t.finish(end, self.emit)
        except RunError as exc:  # the run folder cannot be written (a full disk): said, and the app lives on
            self.save_failed(str(exc))
        send(self.conn, p.Idle(t.step_count))

    def save_failed(self, reason: str) -> None:
        """A checkpoint or a metrics line could not be written. Training stops there; the folder keeps
        its last complete checkpoint, and says "interrupted" (if it can still be written at all)."""
        self.unsaved = True
        with contextlib.suppress(RunError, OSError):
            self.trainer.writer.interrupted(self.trainer.step_count, self.trainer.last_loss)
        send(self.conn, p.RunFailed(reason))

    def do_step(self) -> None:
        try:
            self.trainer.step(on_event=self.emit)
        except RunError as exc:  # its metrics line could not be written
            self.save_failed(str(exc))
        self.send_weights()
        send(self.conn, p.Stepped(self.trainer.step_count))

    def wait_paused(self) -> None:
        """Between two steps of a run while paused: say where, then take single steps until resumed
        or stopped (on this thread: OpenMP keeps a pool per thread)."""
        if self.pause.is_set():
            send(self.conn, p.Paused(self.trainer.step_count))
        while self.pause.is_set() and not self.stop.is_set():
            cmd = self.jobs.get()  # a step, or Wake (resumed, stopped), or a run/close for later
            if isinstance(cmd, p.Step):
                self.do_step()
            elif isinstance(cmd, WeightsNow):
                self.send_weights()
            elif isinstance(cmd, p.Close):
                self.deferred.insert(0, cmd)
            elif not isinstance(cmd, Wake):
                self.deferred.append(cmd)

    def emit(self, e: ev.Event) -> None:
        # Weights first: the app refreshes Predict when it handles the event.
        due = self.weights_wanted and time.perf_counter() - self.weights_t >= WEIGHTS_EVERY_S
        if isinstance(e, ev.Finished | ev.Diverged) or (isinstance(e, ev.Progress) and due):
            self.send_weights()
        if not send(self.conn, p.Event(e)):
            self.stop.set()  # nobody is listening: end the run (it still checkpoints)

    def send_weights(self) -> None:
        send(self.conn, p.WeightsCopy(p.Weights(self.trainer.cpu_state())))
        self.weights_t = time.perf_counter()
