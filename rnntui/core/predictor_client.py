"""The app's side of the predictor's process (predictor_child.py): requests out, answers back,
nothing waits. This module imports no torch: the app's process needs none to predict.

`request(r)` returns at once: the first one starts the process (a reader thread forks it from the
fork server and sends what was asked meanwhile). Every answer reaches `on_reply` from that thread
(it must be thread-safe, like Textual's `post_message`), an Answered already read into a whole
table (`Read`). If the process ends unasked (a crash), `on_reply` hears Failed, and the next
request starts a new one with the last network and weights.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess

from rnntui.core import predictor_protocol as pp
from rnntui.core.trace_table import RowStore, TraceTable
from rnntui.core.trainer_client import context as fork_server_context
from rnntui.core.trainer_protocol import Weights

Request = pp.Network | Weights | pp.Feed | pp.Hunt


@dataclass(frozen=True)
class Read:
    """A prefix read, its table whole (the rows the edits so far make, and this answer's parts)."""

    prefix: str
    view: pp.PredictionView
    table: TraceTable
    partial: bool


Answer = pp.Loaded | Read | pp.Hunted | pp.Failed


class AnswerReader:
    """Answered → Read: the process sends each table's rows as an edit of the last one's."""

    def __init__(self) -> None:
        self.store = RowStore()
        self._rows = TraceTable((), (), 0)

    def read(self, a: pp.Answered) -> Read:
        if a.fresh:
            if a.rows is None:
                self._rows = TraceTable((), (), 0)
            else:
                self.store.apply(a.rows)
                self._rows = self.store.table()
        parts = {"attention": a.attention, "written": a.written, "map": a.map, "map_note": a.map_note}
        table = replace(self._rows, **parts, saliency=a.saliency)  # type: ignore[arg-type]
        return Read(a.prefix, replace(a.view, tokens=table.tokens), table, a.partial)


def predictor_entry(conn: Connection) -> None:
    """The process's first call; here so that naming it does not import torch into the app."""
    from rnntui.core.predictor_child import child_main

    child_main(conn)


DIRECT_MAX = 16_000  # bytes: a prefix up to this size is written from the caller's thread (see below)


class PredictorClient:
    def __init__(self, on_reply: Callable[[Answer], object], context: BaseContext | None = None) -> None:
        self.on_reply = on_reply
        self._context = context  # tests may fork this process instead
        self._cv = threading.Condition()
        self._sending = threading.Lock()  # one message at a time down the pipe
        self._conn: Connection | None = None
        self._starting = False
        # What is still to be sent, in order; the writer thread sends it. Weights, networks and long
        # prefixes are never written from the caller's thread (the event loop): 1 MB through a
        # 64 KB pipe waits for the predictor's process to read each piece (a 99 KB prefix held the
        # loop up to 81 ms). A short prefix is written at once when nothing is ahead of it: waking
        # the writer cost the event loop ~1 ms a key (the GIL handed over and back while training
        # takes both cores).
        self._outbox: list[Request | pp.Close] = []
        self._network: pp.Network | None = None  # the last network and weights: a new process's first
        self._weights: Weights | None = None
        self._closed = False
        self._hunts: dict[int, pp.Hunt] = {}  # asked and not answered yet (by generation)
        self.pid: int | None = None

    def request(self, request: Request) -> None:
        if isinstance(request, pp.Hunt):
            with self._cv:
                self._hunts[request.generation] = request
        if isinstance(request, pp.Feed | pp.Hunt) and self._direct(request):
            return
        with self._cv:
            if self._closed:
                return
            if isinstance(request, pp.Network):
                self._network, self._weights = request, None
                # What was asked of the last network is moot, but a hunt waits for its answer.
                self._outbox = [r for r in self._outbox if isinstance(r, pp.Hunt)]
            elif isinstance(request, Weights | pp.Feed):  # only the newest of these matters
                self._outbox = [r for r in self._outbox if not isinstance(r, type(request))]
                if isinstance(request, Weights):
                    self._weights = request
            self._outbox.append(request)
            # A process that died starts again at the next network, key or hunt; weights alone wait
            # for it (a network that crashes its process would otherwise be rebuilt at every copy).
            if self._conn is None and not self._starting and not isinstance(request, Weights):
                self._starting = True
                threading.Thread(target=self._serve, name="rnntui-predictor", daemon=True).start()
            self._cv.notify_all()

    def _direct(self, request: pp.Feed | pp.Hunt) -> bool:
        """Written now when short and nothing is ahead of it (in order); False: queue it."""
        data = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        if len(data) > DIRECT_MAX:
            return False
        with self._cv:
            conn = self._conn
            if self._closed or conn is None or self._outbox or not self._sending.acquire(blocking=False):
                return False
        try:
            conn.send_bytes(data)
        except (OSError, ValueError):  # the process is gone: its reader says so, the next key restarts it
            pass
        finally:
            self._sending.release()
        return True

    def close(self) -> None:
        with self._cv:
            if not self._closed:
                self._closed = True
                self._outbox = [pp.Close()]  # (nothing else is worth sending now)
                self._cv.notify_all()

    # ---- the process's threads: the reader (it starts the process) and the writer ----------------
    def _serve(self) -> None:
        with self._cv:
            if self._closed:  # (closed before it started: nothing to start)
                self._starting = False
                return
        ctx = self._context or fork_server_context()
        conn, child_conn = ctx.Pipe()
        proc = ctx.Process(target=predictor_entry, args=(child_conn,), name="rnntui-predictor", daemon=True)
        try:
            proc.start()
        except Exception as exc:
            with self._cv:
                self._starting = False
            self.on_reply(pp.Failed(f"the predictor's process did not start: {exc}"))
            return
        child_conn.close()  # ours closed: EOF reaches us when the child exits
        with self._cv:
            self._conn, self.pid = conn, proc.pid
            network = self._network
            if network is not None and not self._closed and not any(isinstance(r, pp.Network) for r in self._outbox):
                # A new process after one that died: the network first, with the newest weights.
                # (`is not None`: a Weights is a Mapping, and its truth would unpickle it, and import torch.)
                weights = self._weights if self._weights is not None else network.weights
                self._outbox = [r for r in self._outbox if not isinstance(r, Weights)]  # (in it now)
                self._outbox.insert(0, replace(network, weights=weights))
        threading.Thread(target=self._write, args=(conn,), name="rnntui-predictor-requests", daemon=True).start()
        self._read(conn, proc)

    def _write(self, conn: Connection) -> None:
        while True:
            with self._cv:
                while not self._outbox and self._conn is conn:
                    self._cv.wait()
                if self._conn is not conn:
                    return  # the process has ended; what is left goes to the next one
            with self._sending:  # (a prefix sent at once, ahead of nothing, may be on its way)
                with self._cv:
                    if not self._outbox:
                        continue  # (a newer network emptied it meanwhile)
                    message = self._outbox.pop(0)
                try:
                    conn.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
                except (OSError, ValueError):  # the process is gone: the reader says so
                    return
                except Exception as exc:  # (this one request cannot be sent: said, and the rest go on)
                    self.on_reply(pp.Failed(f"a request to the predictor failed: {type(exc).__name__}: {exc}"))
            if isinstance(message, pp.Close):
                return

    def _read(self, conn: Connection, proc: BaseProcess) -> None:
        reader = AnswerReader()
        try:
            while True:
                try:
                    reply = pickle.loads(conn.recv_bytes())
                except (EOFError, OSError):
                    break
                if isinstance(reply, pp.Hunted):
                    with self._cv:
                        self._hunts.pop(reply.generation, None)
                self.on_reply(reader.read(reply) if isinstance(reply, pp.Answered) else reply)
        finally:
            proc.join(5)
            if proc.is_alive():  # (stuck on its way out: never two predictors)
                proc.kill()
            with self._cv:
                self._conn, self._starting = None, False
                closed = self._closed
                self._cv.notify_all()  # (the writer leaves)
                # Hunts it did not answer are answered here (the view waits for each), not sent again.
                lost, self._hunts = list(self._hunts.values()), {}
                self._outbox = [r for r in self._outbox if not isinstance(r, pp.Hunt)]
            conn.close()
        if not closed:
            code = proc.exitcode
            for hunt in lost:
                why = "the predictor's process ended while it matched; enter ranks again"
                self.on_reply(pp.Hunted(hunt.generation, hunt.prefix, hunt.pattern, (), why))
            self.on_reply(pp.Failed(f"the predictor's process ended (exit code {code}); the next key starts it again"))
