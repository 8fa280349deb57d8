"""The predictor's own thread: it builds the CPU copy of the network, loads the weights training
sends, and feeds the typed prefix — all off the UI thread, which only posts requests and draws what
comes back (as messages).

Requests do not pile up: a new network replaces one still waiting to be built, new weights replace
older ones, and the newest prefix replaces older prefixes. New weights re-run the last prefix, so
Predict follows training live. While the map of the hidden state is shown (a feed asks for it),
new weights also refit it (core/state_map.py: PCA of the validation states, reading them for at
most STATE_MAP_BUDGET_S), aligned to the last fit so it does not flip; hidden, it costs nothing
(not even reading the validation data, which for a user's own text is its whole file).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from textual.message import Message

from rnntui.app.messages import Predicted, PredictFailed, PredictorLoaded
from rnntui.core.spec import ExperimentSpec

if TYPE_CHECKING:  # torch-side: imported in the thread, never on the UI thread
    from rnntui.core.predictor import Predictor
    from rnntui.core.state_map import StateMap, StateMapper
    from rnntui.core.trainer_protocol import Weights

STATE_MAP_BUDGET_S = 0.03  # reading validation states for one refit (the PCA adds a few ms)
GENERATE = 40  # tokens of greedy and sampled continuation shown for a language model
TEMPERATURE = 0.8


@dataclass(frozen=True)
class Network:
    spec: ExperimentSpec
    task_state: dict[str, Any]  # the trainer's vocabulary (JSON data)
    weights: Weights


@dataclass(frozen=True)
class Feed:
    prefix: str
    top_k: int = 5
    map: bool = False  # the map of the hidden state is shown: the prediction comes with the prefix's path


class PredictorThread:
    def __init__(self, post: Callable[[Message], object]) -> None:
        self.post = post
        self._cv = threading.Condition()
        self._network: Network | None = None
        self._weights: Weights | None = None
        self._feed: Feed | None = None
        self._last: Feed | None = None  # re-run when new weights arrive
        self._closed = False
        self._predictor: Predictor | None = None
        self._mapper: StateMapper | None = None
        self._map: StateMap | None = None
        self._map_note: str | None = None  # why there is no map
        self._map_stale = True  # the weights changed since the last fit
        self._batch_size = 1  # the network's training batch size: the validation batches' size
        threading.Thread(target=self._serve, name="rnntui-predictor", daemon=True).start()

    # ---- requests (any thread; they return at once) ---------------------------------------------
    def load(self, network: Network) -> None:
        with self._cv:
            self._network, self._weights = network, None
            self._cv.notify()

    def weights(self, weights: Weights) -> None:
        with self._cv:
            self._weights = weights
            self._cv.notify()

    def feed(self, feed: Feed) -> None:
        with self._cv:
            self._feed = feed
            self._cv.notify()

    def close(self) -> None:
        with self._cv:
            self._closed = True
            self._cv.notify()

    # ---- the thread -----------------------------------------------------------------------------
    def _serve(self) -> None:
        from rnntui.app.torch_threads import helper_thread

        torch_ready = False
        while True:
            with self._cv:
                while not (self._closed or self._network or self._weights is not None or self._feed):
                    self._cv.wait()
                if self._closed:
                    return
            if not torch_ready:  # at the first job, not at start: importing torch before the
                helper_thread()  # first frame held the GIL and made it 0.8 s instead of 0.35
                torch_ready = True
            with self._cv:
                network, self._network = self._network, None
                weights, self._weights = self._weights, None
                feed, self._feed = self._feed, None
            try:
                if network is not None:
                    self._build(network)
                if weights is not None and feed is not None and self._predictor is not None:
                    # A keystroke waits: answer it from the states cached under the weights held
                    # (one step) before new weights make the whole prefix run again.
                    self._predict(feed, quick=True)
                if weights is not None and self._predictor is not None:
                    self._predictor.load_state_dict(weights)
                    self._map_stale = True
                    feed = feed or self._last
                if feed is not None and self._predictor is not None:
                    self._predict(feed)
            except Exception as exc:  # a keystroke never takes the app down
                self.post(PredictFailed(f"{type(exc).__name__}: {exc}"))

    def _build(self, network: Network) -> None:
        from rnntui.core.experiment import build_model, build_task, task_sizes
        from rnntui.core.predictor import Predictor
        from rnntui.core.size_table import remember

        task = build_task(network.spec.task, state=network.task_state)
        remember(network.spec.task, task_sizes(task))  # the next start's first frame counts parameters
        model = build_model(network.spec, task)
        model.load_state_dict(network.weights)
        predictor = Predictor(model, task)
        self._predictor = predictor
        self._last = None
        self._mapper, self._map, self._map_stale = None, None, True
        self._batch_size = network.spec.train.batch_size
        layers = [(name, f"{layer},{d}") for (layer, d), name in predictor.layer_names.items()]
        offered = quantities(model.spec.cell) + ([ATTENTION] if model.spec.attention != "none" else [])
        self.post(PredictorLoaded(network.spec, task.prefix_hint, layers, offered))

    def _predict(self, feed: Feed, quick: bool = False) -> None:
        """Two answers: first what one keystroke costs a step for (the output, the steps: the
        prediction widget repaints with it), then, unless a newer prefix is waiting (or `quick`),
        the parts that cost more whatever the prefix's length: the continuation (GENERATE tokens
        twice), what it looks at (a backward pass) and the map. Measured on the 2-core machine
        while training: the continuation alone took 10-100 ms, which a key used to wait for."""
        predictor = self._predictor
        assert predictor is not None
        predictor.top_k = feed.top_k
        prediction = predictor.feed(feed.prefix)
        table = prediction.table()
        self.post(Predicted(feed.prefix, prediction, table, partial=True))
        self._last = feed
        if quick or self._superseded(feed):
            return
        from rnntui.core.predictor import Cancelled

        try:  # the steps are cached: this costs the continuation, stopped when a newer prefix comes
            prediction = predictor.feed(
                feed.prefix, GENERATE, TEMPERATURE, seed=0, cancelled=lambda: self._superseded(feed)
            )
        except Cancelled:
            return
        if feed.map:
            self._refit_if_stale()
            table = replace(table, map_note=self._map_note)
            if self._map is not None:
                table = replace(table, map=self._map.table(prediction))
        if not self._superseded(feed):  # what it looks at: once per keystroke, skipped when typed over
            table = replace(table, saliency=predictor.saliency(feed.prefix))
        self.post(Predicted(feed.prefix, prediction, table))

    def _superseded(self, feed: Feed) -> bool:
        """A newer prefix is waiting: this one's answer will be dropped by the view."""
        with self._cv:
            return self._feed is not None and self._feed.prefix != feed.prefix

    def _refit_if_stale(self) -> None:
        """The map for the weights loaded, aligned to the last one (a network's first: none). A map
        that cannot be made is said in its place; the prediction goes on without it."""
        from rnntui.core.state_map import StateMapper

        if not self._map_stale or self._predictor is None:
            return
        self._map_stale = False
        try:
            if self._mapper is None:  # at the first feed that wants it: reading the data is not free
                self._mapper = StateMapper(self._predictor.task, self._batch_size)
            self._map = self._mapper.fit(self._predictor.model, self._map, budget_s=STATE_MAP_BUDGET_S)
            self._map_note = self._mapper.note
        except Exception as exc:  # e.g. an eigendecomposition that does not converge
            self._map, self._map_note = None, f"no map for these weights: {type(exc).__name__}: {exc}"


ATTENTION = ("attention", "attention")  # an encoder-decoder with attention: where each output looked


def quantities(cell: str) -> list[tuple[str, str]]:
    """What the heatmap can show for this cell: the hidden state, and LSTM's cell and gates or GRU's gates."""
    out = [("hidden h", "hidden")]
    if cell == "lstm":
        out += [
            ("cell c", "cell"),
            ("input gate i", "i"),
            ("forget gate f", "f"),
            ("candidate g", "g"),
            ("output gate o", "o"),
        ]
    elif cell == "gru":
        out += [("reset gate r", "r"), ("update gate z", "z"), ("candidate n", "n")]
    return out
