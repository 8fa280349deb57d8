"""The predictor in its own process (issue 15: the app's process imports no torch): each table
crosses as an edit of the last, and the process's death is said and mended."""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import signal
import time
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rnntui.core import predictor_protocol as pp
from rnntui.core.predictor import Predictor
from rnntui.core.predictor_client import AnswerReader, PredictorClient, Read
from rnntui.core.predictor_service import first_answer
from rnntui.core.presets import resolve
from rnntui.core.trainer import Trainer
from rnntui.core.trainer_protocol import Weights
from test_predictor import HYPO, LM, SERIES, edited, edits, same_table


class Replies:
    """A client's replies, waited for by kind."""

    def __init__(self) -> None:
        self.queue: queue.Queue[object] = queue.Queue()

    def next_of(self, kind: type, timeout: float = 60) -> object:
        while True:
            reply = self.queue.get(timeout=timeout)
            if isinstance(reply, kind):
                return reply


@contextlib.contextmanager
def predictor() -> Iterator[tuple[PredictorClient, Replies]]:
    """A client of a real predictor's process (forked from the fork server), closed afterwards."""
    replies = Replies()
    client = PredictorClient(replies.queue.put)
    try:
        yield client, replies
    finally:
        client.close()


def hello_network() -> tuple[Trainer, pp.Network]:
    trainer = Trainer(resolve("hello"))
    return trainer, pp.Network(trainer.spec, trainer.task.state(), Weights(trainer.cpu_state()))


@HYPO
@given(edits, st.randoms(use_true_random=False), st.sampled_from(["chars", "numbers"]))
def test_tables_read_from_edits_equal_tables_built_at_once(ops, rnd, kind):
    # The app holds the rows the edits so far make: an edit anywhere, a moved token, a shorter
    # prefix, the heatmap's window moving on or back, all must reach it as a fresh table has them.
    inc = Predictor(LM.model, LM.task) if kind == "chars" else Predictor(SERIES.model, SERIES.task)
    reader = AnswerReader()
    digits = {"H": "1", "E": "2.5", "L": "-3", "O": "0.5", " ": " ", "W": "7", "R": "1e1", "D": ",", "X": "x"}
    text = ""
    for op, ch in ops:
        ch = ch if kind == "chars" else digits.get(ch, ch)
        text = edited(text, op, ch, rnd)
        read = reader.read(first_answer(inc.feed(text)))
        fresh = Predictor(inc.model, inc.task).feed(text)
        same_table(read.table, fresh.table())
        # and against the steps' own tensors (not through the rows' code at all)
        direct = tuple(tuple(s.hidden[0, 0].tolist()) for s in fresh.steps)
        assert read.table.hidden.get((0, 0), ()) == direct


def test_the_window_sliding_both_ways_reaches_the_app_too():
    inc, reader = Predictor(LM.model, LM.task), AnswerReader()
    text = "HELLO WORLD " * 8  # 96 characters: the window (64 steps) slides
    typed = [text[:n] for n in range(60, 97)] + [text[:n] for n in range(96, 50, -3)] + ["", text[:66], text * 2]
    for prefix in typed:
        same_table(reader.read(first_answer(inc.feed(prefix))).table, Predictor(LM.model, LM.task).feed(prefix).table())


def test_a_key_at_step_500_crosses_as_its_new_step():
    # The whole table at 500 steps, pickled, is what a key used to cost the pipe (and the app's
    # unpickling, ~5 ms at char-lm's size); a key's edit carries its step.
    text = "HELLO WORLD " * 42
    inc = Predictor(LM.model, LM.task)
    inc.feed(text[:500]).row_edit()
    prediction = inc.feed(text[:501])
    one_key = len(pickle.dumps(first_answer(prediction), protocol=pickle.HIGHEST_PROTOCOL))
    whole = len(pickle.dumps(prediction.table(), protocol=pickle.HIGHEST_PROTOCOL))
    assert len(prediction.steps) == 501 and one_key * 20 < whole, (one_key, whole)


def test_a_predictor_process_that_dies_is_said_and_started_again_with_the_newest_weights():
    trainer, network = hello_network()
    with predictor() as (client, replies):
        next_of = replies.next_of
        client.request(network)
        client.request(pp.Feed("HELL"))
        assert isinstance(next_of(pp.Loaded), pp.Loaded)
        before = next_of(Read)
        first = client.pid
        assert first is not None and first != os.getpid()
        trainer.run(steps=30)
        client.request(Weights(trainer.cpu_state()))
        next_of(Read)  # the prefix read again with the new weights
        os.kill(first, signal.SIGKILL)
        failed = next_of(pp.Failed)
        assert "ended" in failed.reason  # said, once: the app shows it in Predict's notice
        client.request(pp.Feed("HELL"))  # the next key starts a new process
        next_of(pp.Loaded)
        after = next_of(Read)
        assert client.pid not in (None, first)
        assert after.prefix == "HELL" and after.view.output.top != before.view.output.top  # the trained weights


def test_every_hunt_is_answered_across_a_new_network_and_the_process_s_death():
    # (the view says "matching …" until its hunt is answered: a hunt dropped waited forever)
    _, network = hello_network()
    with predictor() as (client, replies):
        client.request(network)
        client.request(pp.Hunt("HELLO HELLO", "L+", generation=1))
        client.request(network)  # a new network (a Build edit) while the hunt waits to be sent
        assert replies.next_of(pp.Hunted).generation == 1  # ranked by the new network
        client.request(pp.Hunt("HELLO " + "A" * 60 + "B", "(A|AA)+$", generation=2))  # ~1 s: the process dies meanwhile
        time.sleep(0.2)
        os.kill(client.pid, signal.SIGKILL)
        hunted = replies.next_of(pp.Hunted)
        assert hunted.generation == 2 and "ended" in hunted.error


def test_weights_alone_do_not_restart_a_dead_predictor_a_key_does():
    trainer, network = hello_network()
    with predictor() as (client, replies):
        client.request(network)
        replies.next_of(pp.Loaded)
        first = client.pid
        os.kill(first, signal.SIGKILL)
        replies.next_of(pp.Failed)
        client.request(Weights(trainer.cpu_state()))  # a copy from training: kept for the next process
        with pytest.raises(queue.Empty):
            replies.next_of(pp.Loaded, timeout=1.5)
        client.request(pp.Feed("HELL"))
        replies.next_of(pp.Loaded)
        assert replies.next_of(Read).prefix == "HELL" and client.pid != first


def test_a_long_prefix_is_sent_by_the_writer_a_short_one_at_once():
    # Written from the event loop, a 99 KB prefix held it up to 81 ms while the predictor was busy.
    _, network = hello_network()
    with predictor() as (client, replies):
        client.request(network)
        replies.next_of(pp.Loaded)
        assert not client._direct(pp.Feed("HELLO " * 20_000))
        assert client._direct(pp.Feed("HELL"))
        assert replies.next_of(Read).prefix == "HELL"


def test_a_failed_request_is_said_in_one_line_and_a_hunt_asked_with_it_is_still_answered():
    from predictor_helpers import ServiceThread

    trainer, network = hello_network()
    answers: queue.Queue[object] = queue.Queue()
    service = ServiceThread(answers.put)
    try:
        service.request(network)
        assert isinstance(answers.get(timeout=60), pp.Loaded)
        wrong = {k: v[:1] for k, v in trainer.cpu_state().items()}  # every tensor the wrong shape
        service.service._cv.acquire()  # (both asked before the service takes either)
        service.request(Weights(wrong))
        service.request(pp.Hunt("HELLO HELLO", "L+", generation=7))
        service.service._cv.release()
        got = [answers.get(timeout=60) for _ in range(2)]
        failed = next(a for a in got if isinstance(a, pp.Failed))
        hunted = next(a for a in got if isinstance(a, pp.Hunted))
        assert "\n" not in failed.reason and failed.reason.startswith("RuntimeError")
        assert hunted.generation == 7
    finally:
        service.close()


def test_the_words_a_sentiment_network_read_pair_with_its_class_after_each_beyond_the_window():
    # Predict's "after each word" line zips the view's tokens with the per-step classes. The tokens
    # were the whole prefix's, the classes the window's (the last 512 read): past the window, each
    # word was shown with another word's class.
    from predictor_helpers import ServiceThread

    from rnntui.core.outputs import ClassOfPrefix

    trainer = Trainer(resolve("sentiment"))
    answers: queue.Queue[object] = queue.Queue()
    service = ServiceThread(lambda m: answers.put(m) if isinstance(m, Read) and not m.partial else None)
    words = [f"w{i % 7}" for i in range(600)] + ["good"]
    try:
        service.request(pp.Network(trainer.spec, trainer.task.state(), Weights(trainer.cpu_state())))
        service.request(pp.Feed(" ".join(words)))
        read = answers.get(timeout=60)
    finally:
        service.close()
    out = read.view.output
    assert isinstance(out, ClassOfPrefix) and out.per_step
    assert len(read.view.tokens) == len(out.per_step) == 512 and read.view.tokens[-1] == "good"
