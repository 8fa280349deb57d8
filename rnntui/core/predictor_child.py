"""The predictor's process: a PredictorService (predictor_service.py) driven over a pipe.

Why a process: the app's process then never imports torch (issue 15: torch's own heap, ~130 MB,
counted once more in the app), a regex or a network that crashes takes only this process down, and
its work (a step per keystroke, the continuation, saliency's backward pass) never holds the UI's
GIL. It is forked from the training processes' fork server, which has imported torch: starting one
costs a fork and building the network.

One thread reads the pipe and answers, asking the pipe again between the tokens of a continuation
(a newer prefix stops it). The pipe's end (the app is gone) closes it.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import traceback
from multiprocessing.connection import Connection

import torch

from rnntui.core import predictor_protocol as pp
from rnntui.core.predictor_service import PredictorService, Reply


def child_main(conn: Connection) -> None:
    gc.freeze()  # what the fork server imported stays shared: see trainer_child.child_main
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (the app's terminal is not ours)
    if hasattr(signal, "SIGHUP"):  # a closed terminal ends the app, whose pipe's end ends this
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    # One recurrent step per keystroke gains nothing from a pool of OpenMP workers, and such a pool
    # would spin on the cores the training process is using.
    torch.set_num_threads(1)

    def send(reply: Reply) -> None:
        try:
            conn.send_bytes(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:  # the app is gone: reading the pipe says so too
            pass

    service = PredictorService(send)

    def take(block: bool) -> None:
        """What the app asked (waiting for it when `block`), handed to the service."""
        while block or conn.poll(0):
            block = False
            try:
                request = pickle.loads(conn.recv_bytes())
            except (EOFError, OSError):  # the app is gone
                request = pp.Close()
            service.request(request)
            if isinstance(request, pp.Close):
                return

    service.incoming = lambda: take(block=False)  # (asked between the tokens of a continuation)
    try:
        while not service.closed:
            take(block=not service.pending())
            if not service.closed:
                service.work()
    except Exception:  # (work answers a failed request with Failed; this is for what is left)
        send(pp.Failed(traceback.format_exc().strip().splitlines()[-1]))
    conn.close()
