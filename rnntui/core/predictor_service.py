"""The predictor at work: it builds its CPU copy of the network, loads the weights training sends,
reads the typed prefix and ranks units for the neuron hunt, answering with plain data
(predictor_protocol.py). It runs in the predictor's own process (predictor_child.py); tests run it
on a thread of their own.

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
from dataclasses import replace

from rnntui.core import predictor_protocol as pp
from rnntui.core.errors import HuntError
from rnntui.core.experiment import build_model, build_task, task_sizes
from rnntui.core.prediction import Prediction
from rnntui.core.predictor import Cancelled, Predictor
from rnntui.core.size_table import remember
from rnntui.core.state_map import StateMap, StateMapper
from rnntui.core.trainer_protocol import Weights

STATE_MAP_BUDGET_S: float | None = 0.03  # reading validation states for one refit (the PCA adds a few ms)
GENERATE = 40  # tokens of greedy and sampled continuation shown for a language model
TEMPERATURE = 0.8
ATTENTION = ("attention", "attention")  # an encoder-decoder with attention: where each output looked

Reply = pp.Loaded | pp.Answered | pp.Hunted | pp.Failed


def quantities(cell: str) -> list[tuple[str, str]]:
    """What the heatmap can show for this cell: the hidden state, and LSTM's cell and gates or GRU's gates."""
    out = [("hidden h", "hidden")]
    if cell == "lstm":
        out += [("cell c", "cell"), ("input gate i", "i"), ("forget gate f", "f"), ("candidate g", "g")]
        out += [("output gate o", "o")]
    elif cell == "gru":
        out += [("reset gate r", "r"), ("update gate z", "z"), ("candidate n", "n")]
    return out


def one_line(exc: Exception) -> str:
    """An error as Predict's notice shows it: one line (torch's load_state_dict errors have many)."""
    lines = f"{type(exc).__name__}: {exc}".splitlines()
    return lines[0][:300] + (" …" if len(lines) > 1 else "")


def first_answer(prediction: Prediction) -> pp.Answered:
    """A prefix's first answer as it leaves for the app: the output and the table's rows (as an
    edit of the last table's), before the continuation, saliency and map."""
    parts = prediction.table_parts()
    view = view_of(prediction)
    return pp.Answered(prediction.prefix, view, prediction.row_edit(), partial=True, **parts)  # type: ignore[arg-type]


def view_of(prediction: Prediction) -> pp.PredictionView:
    """The prediction as it crosses to the app (its tokens travel with the table's rows)."""
    p = prediction
    return pp.PredictionView(p.prefix, (), p.output, len(p.steps), p.notes, p.window_start)


class PredictorService:
    def __init__(self, send: Callable[[Reply], object]) -> None:
        self.send = send
        self._cv = threading.Condition()
        self._network: pp.Network | None = None
        self._weights: Weights | None = None
        self._feed: pp.Feed | None = None
        self._hunt: pp.Hunt | None = None
        self._last: pp.Feed | None = None  # re-run when new weights arrive
        self._closed = False
        self.predictor: Predictor | None = None
        self.mapper: StateMapper | None = None
        self._map: StateMap | None = None
        self._map_note: str | None = None  # why there is no map
        self._map_stale = True  # the weights changed since the last fit
        self._batch_size = 1  # the network's training batch size: the validation batches' size
        # Called before asking whether a newer prefix waits: the predictor's process reads its pipe
        # there (one thread, no hand-off between a listener and the worker: ~1 ms a key).
        self.incoming: Callable[[], None] = lambda: None

    # ---- requests (any thread; they return at once) ---------------------------------------------
    def request(self, request: pp.Network | Weights | pp.Feed | pp.Hunt | pp.Close) -> None:
        with self._cv:
            if isinstance(request, pp.Network):
                self._network, self._weights = request, None
            elif isinstance(request, Weights):
                self._weights = request
            elif isinstance(request, pp.Feed):
                self._feed = request
            elif isinstance(request, pp.Hunt):
                self._hunt = request
            else:
                self._closed = True
            self._cv.notify()

    @property
    def closed(self) -> bool:
        return self._closed

    def pending(self) -> bool:
        """A request is waiting (or Close)."""
        with self._cv:
            return bool(self._closed or self._network or self._weights is not None or self._feed or self._hunt)

    # ---- the work (one thread) ------------------------------------------------------------------
    def serve(self) -> None:
        """Until Close: wait for requests (made from other threads), and answer them."""
        while True:
            with self._cv:
                while not self.pending():
                    self._cv.wait()
            if self._closed:
                return
            self.work()

    def work(self) -> None:
        """Take the waiting requests, the newest of each kind, and answer them."""
        with self._cv:
            network, self._network = self._network, None
            weights, self._weights = self._weights, None
            feed, self._feed = self._feed, None
            hunt, self._hunt = self._hunt, None
        try:
            if network is not None:
                self._build(network)
            if weights is not None and feed is not None and self.predictor is not None:
                # A keystroke waits: answer it from the states cached under the weights held
                # (one step) before new weights make the whole prefix run again.
                self._predict(feed, quick=True)
            if weights is not None and self.predictor is not None:
                self.predictor.load_state_dict(dict(weights))
                self._map_stale = True
                feed = feed or self._last
            if feed is not None and self.predictor is not None:
                self._predict(feed)
        except Exception as exc:  # a keystroke never takes Predict down
            self.send(pp.Failed(one_line(exc)))
        if hunt is not None:  # answered whatever happened above: the view waits for it
            self._rank(hunt)

    def _build(self, network: pp.Network) -> None:
        task = build_task(network.spec.task, state=network.task_state)
        remember(network.spec.task, task_sizes(task))  # the next start's first frame counts parameters
        model = build_model(network.spec, task)
        model.load_state_dict(dict(network.weights))
        predictor = Predictor(model, task)
        self.predictor = predictor
        self._last = None
        self.mapper, self._map, self._map_stale = None, None, True
        self._batch_size = network.spec.train.batch_size
        layers = tuple((name, f"{layer},{d}") for (layer, d), name in predictor.layer_names.items())
        offered = quantities(model.spec.cell) + ([ATTENTION] if model.spec.attention != "none" else [])
        self.send(pp.Loaded(network.spec, task.prefix_hint, layers, tuple(offered)))

    def _predict(self, feed: pp.Feed, quick: bool = False) -> None:
        """Two answers: first what one keystroke costs a step for (the output, the steps: the
        prediction widget repaints with it), then, unless a newer prefix is waiting (or `quick`),
        the parts that cost more whatever the prefix's length: the continuation (GENERATE tokens
        twice), what it looks at (a backward pass) and the map. Measured on the 2-core machine
        while training: the continuation alone took 10-100 ms, which a key used to wait for."""
        predictor = self.predictor
        assert predictor is not None
        predictor.top_k = feed.top_k
        prediction = predictor.feed(feed.prefix)
        first = first_answer(prediction)
        self.send(first)
        self._last = feed
        if quick or self._superseded(feed):
            return
        try:  # the steps are cached: this costs the continuation, stopped when a newer prefix comes
            prediction = predictor.feed(
                feed.prefix, GENERATE, TEMPERATURE, seed=0, cancelled=lambda: self._superseded(feed)
            )
        except Cancelled:
            return
        answer = replace(first, view=view_of(prediction), rows=None, fresh=False, partial=False)
        if feed.map:
            self._refit_if_stale()
            answer = replace(answer, map_note=self._map_note)
            if self._map is not None:
                answer = replace(answer, map=self._map.table(prediction))
        if not self._superseded(feed):  # what it looks at: once per keystroke, skipped when typed over
            answer = replace(answer, saliency=predictor.saliency(feed.prefix))
        self.send(answer)

    def _superseded(self, feed: pp.Feed) -> bool:
        """A newer prefix is waiting: this one's answer will be dropped by the view."""
        self.incoming()
        with self._cv:
            return self._feed is not None and self._feed.prefix != feed.prefix

    def _refit_if_stale(self) -> None:
        """The map for the weights loaded, aligned to the last one (a network's first: none). A map
        that cannot be made is said in its place; the prediction goes on without it."""
        if not self._map_stale or self.predictor is None:
            return
        self._map_stale = False
        try:
            if self.mapper is None:  # at the first feed that wants it: reading the data is not free
                self.mapper = StateMapper(self.predictor.task, self._batch_size)
            self._map = self.mapper.fit(self.predictor.model, self._map, budget_s=STATE_MAP_BUDGET_S)
            self._map_note = self.mapper.note
        except Exception as exc:  # e.g. an eigendecomposition that does not converge
            self._map, self._map_note = None, f"no map for these weights: {type(exc).__name__}: {exc}"

    def _rank(self, hunt: pp.Hunt) -> None:
        """The units ranked against the regex's matches in `hunt.prefix` (the regex with a time limit)."""
        from rnntui.core.hunt import match_spans, rank_against, targets_from_spans

        units: tuple[pp.Unit, ...] = ()
        error = None
        try:
            if self.predictor is None:
                raise HuntError("the network is still loading")
            pred = self.predictor.feed(hunt.prefix)  # (its steps are cached: the prefix was just read)
            if not pred.steps:
                raise HuntError("type some text first")
            spans = match_spans(hunt.prefix, hunt.pattern)
            targets = targets_from_spans(pred, len(hunt.prefix), spans)
            units = tuple(rank_against(pred, hunt.pattern, targets, top=5))
        except HuntError as exc:
            error = str(exc)
        except Exception as exc:  # (not the regex's fault: said as it is)
            error = f"could not rank: {one_line(exc)}"
        self.send(pp.Hunted(hunt.generation, hunt.prefix, hunt.pattern, units, error))
