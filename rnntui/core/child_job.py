"""One job in a process of its own, for a process that imports no torch (the app's).

The app's process stays without torch (its memory is the UI's: issue 15 measured torch's own heap,
~130 MB, in every process that imports it). What needs torch there — reading the presets (their task
classes), naming the device — runs in a child of the training processes' fork server, which imported
torch once: a fork, the job, its result sent back pickled, the child gone (~50 ms). Call `run_job`
from a worker thread: it waits for the result.

The job is named by reference (a function of a module that imports no torch at its top); its
arguments and result are plain data.
"""

from __future__ import annotations

import os
import pickle
import sys
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TypeVar

from rnntui.core import trainer_client

T = TypeVar("T")


class JobFailed(Exception):
    """The job raised (its message, one line), or its process did not answer."""


def job_entry(conn: Connection, job: Callable[..., object], args: tuple[object, ...]) -> None:
    """The child's first call: run the job, send ("ok", result) or ("error", line)."""
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (the app's terminal is not ours)
    try:
        answer: tuple[str, object] = ("ok", job(*args))
    except Exception as exc:
        lines = traceback.format_exception_only(type(exc), exc)
        answer = ("error", (lines[-1] if lines else type(exc).__name__).strip())
    conn.send_bytes(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    conn.close()


def run_job(job: Callable[..., T], *args: object, timeout: float = trainer_client.START_TIMEOUT_S) -> T:
    """`job(*args)` run in a child process; its result, or JobFailed. Waits: not on an event loop."""
    ctx = trainer_client.context()  # (looked up when called: tests fork instead)
    here, there = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=job_entry, args=(there, job, args), name="rnntui-job", daemon=True)
    try:
        proc.start()
    except Exception as exc:
        raise JobFailed(f"no process for the job: {exc}") from None
    there.close()  # ours closed: EOF reaches us if the child dies before answering
    try:
        if not here.poll(timeout):
            proc.kill()
            raise JobFailed(f"the job did not answer in {timeout:.0f} s")
        kind, value = pickle.loads(here.recv_bytes())
    except (EOFError, OSError):
        raise JobFailed(f"the job's process ended without an answer (exit code {proc.exitcode})") from None
    finally:
        here.close()
        proc.join(5)
    if kind != "ok":
        raise JobFailed(str(value))
    return value  # type: ignore[return-value]
