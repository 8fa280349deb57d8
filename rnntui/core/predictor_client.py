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
        return Read(a.prefix, a.view, table, a.partial)


def predictor_entry(conn: Connection) -> None:
    """The process's first call; here so that naming it does not import torch into the app."""
    from rnntui.core.predictor_child import child_main

    child_main(conn)


class PredictorClient:
    def __init__(self, on_reply: Callable[[Answer], object], context: BaseContext | None = None) -> None:
        self.on_reply = on_reply
        self._context = context  # tests may fork this process instead
        self._lock = threading.Lock()
        self._conn: Connection | None = None
        self._proc: BaseProcess | None = None
        self._starting = False
        self._queued: list[Request] = []  # asked before the process was up
        self._network: pp.Network | None = None  # the last network and weights: a new process's first
        self._weights: Weights | None = None
        self._closed = False
        self.pid: int | None = None

    def request(self, request: Request) -> None:
        with self._lock:
            if self._closed:
                return
            if isinstance(request, pp.Network):
                self._network, self._weights = request, None
            elif isinstance(request, Weights):
                self._weights = request
            if self._conn is None:
                if isinstance(request, pp.Network):
                    self._queued.clear()  # (what was asked of the last network is moot)
                self._queued.append(request)
                if not self._starting:
                    self._starting = True
                    threading.Thread(target=self._serve, name="rnntui-predictor", daemon=True).start()
                return
            self._send(self._conn, request)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._conn is not None:
                self._send(self._conn, pp.Close())

    @staticmethod
    def _send(conn: Connection, message: Request | pp.Close) -> None:
        try:
            conn.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
        except (OSError, ValueError):  # the process is gone: its reader says so
            pass

    # ---- the reader thread ----------------------------------------------------------------------
    def _serve(self) -> None:
        ctx = self._context or fork_server_context()
        conn, child_conn = ctx.Pipe()
        proc = ctx.Process(target=predictor_entry, args=(child_conn,), name="rnntui-predictor", daemon=True)
        try:
            proc.start()
        except Exception as exc:
            with self._lock:
                self._starting = False
            self.on_reply(pp.Failed(f"the predictor's process did not start: {exc}"))
            return
        child_conn.close()  # ours closed: EOF reaches us when the child exits
        with self._lock:
            self._conn, self._proc, self.pid = conn, proc, proc.pid
            queued, self._queued = self._queued, []
            if self._network is not None and not any(isinstance(q, pp.Network) for q in queued):
                # A new process after one that died: the network first, with the newest weights.
                queued.insert(
                    0, self._network if self._weights is None else replace(self._network, weights=self._weights)
                )
            for request in queued:
                self._send(conn, request)
            if self._closed:
                self._send(conn, pp.Close())
        self._read(conn, proc)

    def _read(self, conn: Connection, proc: BaseProcess) -> None:
        reader = AnswerReader()
        while True:
            try:
                reply = pickle.loads(conn.recv_bytes())
            except (EOFError, OSError):
                break
            self.on_reply(reader.read(reply) if isinstance(reply, pp.Answered) else reply)
        proc.join(5)
        conn.close()
        with self._lock:
            self._conn, self._proc, self._starting = None, None, False
            closed = self._closed
        if not closed:
            self.on_reply(
                pp.Failed(f"the predictor's process ended (exit code {proc.exitcode}); the next key starts it again")
            )
