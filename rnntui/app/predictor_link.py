"""The app's predictor: a process of its own (core/predictor_child.py) that builds the CPU copy of
the network, loads the weights training sends, reads the typed prefix and ranks units for the neuron
hunt. Here its answers become messages; the UI only posts requests and draws what comes back.

The app's process imports no torch (issue 15: its memory): requests and answers are plain data,
the weights cross still pickled (core/predictor_protocol.py says what is said).
"""

from __future__ import annotations

from collections.abc import Callable

from textual.message import Message

from rnntui.app.messages import HuntRanked, Predicted, PredictFailed, PredictorLoaded
from rnntui.core import predictor_protocol as pp
from rnntui.core.predictor_client import Answer, PredictorClient, Read, Request


class PredictorLink:
    def __init__(self, post: Callable[[Message], object]) -> None:
        self.post = post
        self.client = PredictorClient(self._answered)

    def request(self, request: Request) -> None:
        """A network, weights, a prefix or a hunt (returns at once; answered by a message)."""
        self.client.request(request)

    def close(self) -> None:
        self.client.close()

    def _answered(self, answer: Answer) -> None:  # the client's reader thread
        if isinstance(answer, Read):
            self.post(Predicted(answer.prefix, answer.view, answer.table, partial=answer.partial))
        elif isinstance(answer, pp.Loaded):
            self.post(PredictorLoaded(answer.spec, answer.hint, list(answer.layers), list(answer.quantities)))
        elif isinstance(answer, pp.Hunted):
            self.post(HuntRanked(answer))
        else:
            self.post(PredictFailed(answer.reason))
