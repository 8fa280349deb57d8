"""Typing reads again only what it changed (issue 15, target 4a): the float tokenizers rescan from
the last token an edit can have touched, and always give what reading the whole prefix gives."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from rnntui.core.tasks import series
from rnntui.core.tasks.adding import AddingTask, marked_floats
from rnntui.core.tasks.series import Rescan, SineTask, tokenize_floats

CHARS = ["0", "1", ".", "5", "-", "e", "*", " ", ",", ";", "x", "  ", "12.5", "\n"]
pieces = st.lists(st.sampled_from(CHARS), max_size=30)
edit = st.tuples(st.sampled_from(["type", "delete", "replace"]), pieces, st.integers(0, 40))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(edit, min_size=1, max_size=12))
def test_every_edit_reads_as_the_whole_prefix_does(edits) -> None:
    marked, plain, sine = Rescan(marked_floats), Rescan(lambda t, pos: tokenize_floats(t, pos=pos)), SineTask()
    text = ""
    for kind, chars, n in edits:
        typed = "".join(chars)
        if kind == "type":
            text += typed
        elif kind == "delete":
            text = text[: max(0, len(text) - n)]
        else:  # an edit in the middle
            at = min(n, len(text))
            text = text[:at] + typed + text[at + 1 :]
        assert marked(text) == tokenize_floats(text, marker="*")
        assert plain(text) == tokenize_floats(text)
        whole = SineTask().tokenize(text)
        assert [dataclasses.astuple(t) for t in sine.tokenize(text)] == [dataclasses.astuple(t) for t in whole]


def test_a_key_at_the_end_of_500_numbers_reads_one_or_two(monkeypatch) -> None:
    task = AddingTask()
    text = " ".join(f"{i % 10 / 10:.1f}" for i in range(500))
    task.tokenize(text)
    read: list[int] = []
    scan = series.tokenize_floats
    monkeypatch.setattr(series, "tokenize_floats", lambda *a, **k: read.append(len(out := scan(*a, **k))) or out)
    from rnntui.core.tasks import adding

    monkeypatch.setattr(adding, "tokenize_floats", series.tokenize_floats)
    assert len(task.tokenize(text + "5")) == 500  # "0.9" became "0.95": the last token again
    assert len(task.tokenize(text + "5 0.2*")) == 501  # a new number, marked
    assert len(task.tokenize(text[:-4])) == 499  # a deletion
    assert read == [1, 2, 1]  # tokens read per key, the last one touched on (was 500, 501, 499)
