"""What the predictor has told the App, as one immutable value the Predict view watches.

The thread's messages (PredictorLoaded, Predicted, PredictFailed) arrive at the App; the App folds
each into the next PredictState; the view redraws from it. The view never receives a call.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rnntui.app.messages import Predicted, PredictFailed, PredictorLoaded


@dataclass(frozen=True, eq=False)  # a new value is a new state (a prediction holds tensors)
class PredictState:
    loaded: PredictorLoaded | None = None  # the network the predictor holds (None: not yet)
    latest: Predicted | None = None  # the newest prediction, for whatever prefix it was asked for
    failure: str | None = None  # why the last request could not be predicted

    def after(self, message: PredictorLoaded | Predicted | PredictFailed) -> PredictState:
        if isinstance(message, PredictorLoaded):
            return PredictState(loaded=message)  # a new network: nothing predicted with it yet
        if isinstance(message, PredictFailed):
            return replace(self, failure=message.reason)
        return replace(self, latest=message, failure=None)
