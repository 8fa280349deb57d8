"""The predictor's service on a thread of the test's own (the app runs it in a process): its answers
read as the app's client reads them (tables whole)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

from rnntui.core import predictor_protocol as pp
from rnntui.core.predictor_client import Answer, AnswerReader
from rnntui.core.predictor_service import PredictorService, Reply


class ServiceThread:
    def __init__(self, on_answer: Callable[[Answer], object]) -> None:
        self.on_answer = on_answer
        self.reader = AnswerReader()
        self.service = PredictorService(self._send)
        threading.Thread(target=self.service.serve, daemon=True).start()

    def _send(self, reply: Reply) -> None:
        if isinstance(reply, pp.Failed):  # shown with the test that waited for an answer in vain
            print(f"the predictor failed: {reply.reason}", file=sys.stderr)
        self.on_answer(self.reader.read(reply) if isinstance(reply, pp.Answered) else reply)

    def request(self, request: object) -> None:
        self.service.request(request)  # type: ignore[arg-type]

    def close(self) -> None:
        self.service.request(pp.Close())
