"""Typing reads again only what it changed (issue 15, target 4a): the float and character tokenizers
rescan from the last token an edit can have touched, and always give what reading the whole prefix
gives."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnntui.core.experiment import build_task
from rnntui.core.presets import resolve
from rnntui.core.spec import set_value
from rnntui.core.tasks import series
from rnntui.core.tasks.adding import AddingTask, marked_floats
from rnntui.core.tasks.rescan import Rescan, common_prefix
from rnntui.core.tasks.series import SineTask, tokenize_floats

CHARS = ["0", "1", ".", "5", "-", "e", "*", " ", ",", ";", "x", "  ", "12.5", "\n"]
pieces = st.lists(st.sampled_from(CHARS), max_size=30)
edit = st.tuples(st.sampled_from(["type", "delete", "replace"]), pieces, st.integers(0, 40))


def typed_texts(edits: list[tuple[str, list[str], int]]) -> list[str]:
    """The text after each edit: typing at the end, deleting n characters, or replacing one in the
    middle with what was typed."""
    text, texts = "", []
    for kind, chars, n in edits:
        typed = "".join(chars)
        if kind == "type":
            text += typed
        elif kind == "delete":
            text = text[: max(0, len(text) - n)]
        else:  # an edit in the middle
            at = min(n, len(text))
            text = text[:at] + typed + text[at + 1 :]
        texts.append(text)
    return texts


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(edit, min_size=1, max_size=12))
def test_every_edit_reads_as_the_whole_prefix_does(edits) -> None:
    marked, plain, sine = Rescan(marked_floats), Rescan(lambda t, pos: tokenize_floats(t, pos=pos)), SineTask()
    for text in typed_texts(edits):
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


def chars_as_read_whole(task, text: str) -> list[tuple]:
    """The character tokenizer's definition: the whole text normalised, one token per character."""
    norm = task.normalise(text)[: len(text)]
    stoi, unk = task.in_vocab.stoi, task.in_vocab.unk
    return [(ch, i, i + 1, stoi.get(ch, unk), None, ch not in stoi) for i, ch in enumerate(norm)]


LETTERS = ["H", "e", "l", "L", "O", " ", "ß", "Σ", "'", "α", "\u0130", "ﬃ", "\n", "wo"]
char_edit = st.tuples(
    st.sampled_from(["type", "delete", "replace"]), st.lists(st.sampled_from(LETTERS), max_size=8), st.integers(0, 30)
)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.sampled_from(["upper", "lower", "keep"]), st.lists(char_edit, min_size=1, max_size=12))
def test_characters_read_again_from_the_first_change_read_as_the_whole_text(case, edits) -> None:
    # Casing can change a text's length (ß → SS, ﬃ → FFI) and a sigma's form depends on what
    # follows it (Σ → σ or ς): the tokens kept must still be the whole text's.
    task = build_task(set_value(resolve("hello"), "task", "case", case).task)
    for text in typed_texts(edits):
        assert [dataclasses.astuple(t) for t in task.tokenize(text)] == chars_as_read_whole(task, text), text


def test_a_key_at_the_end_of_500_characters_reads_one_or_two(monkeypatch) -> None:
    task = build_task(resolve("char-lm").task)
    text = "the cat sat on the mat. " * 21
    task.tokenize(text)
    read: list[int] = []
    real = task._read_chars
    monkeypatch.setattr(task, "_read_chars", lambda norm, start: read.append(len(norm) - start) or real(norm, start))
    assert len(task.tokenize(text + "a")) == len(text) + 1
    assert len(task.tokenize(text + "ab")) == len(text) + 2
    assert len(task.tokenize(text)) == len(text)  # two deletions
    assert len(task.tokenize("X" + text[1:])) == len(text)  # the first character replaced: all again
    assert read == [1, 1, 0, len(text)]  # was the whole prefix each time


def test_common_prefix_is_the_first_difference() -> None:
    for a, b in [("", ""), ("abc", "abd"), ("abc", "ab"), ("x", "y"), ("hello", "hello"), ("a" * 500, "a" * 499 + "b")]:
        expected = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
        assert common_prefix(a, b) == common_prefix(b, a) == expected


WORDS_AND_NUMBERS = [
    "2",
    "4",
    "16",
    "-3",
    " ",
    "  ",
    ",",
    "8,",
    "x",
    "good",
    "not",
    "bad",
    ".",
    "!",
    "don't",
    "\n",
    "é",
]
word_edit = st.tuples(
    st.sampled_from(["type", "delete", "replace"]),
    st.lists(st.sampled_from(WORDS_AND_NUMBERS), max_size=8),
    st.integers(0, 40),
)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.sampled_from(["doubling", "sentiment"]), st.lists(word_edit, min_size=1, max_size=12))
def test_numbers_and_words_read_again_from_the_first_change_read_as_the_whole_text(preset, edits) -> None:
    task = TASKS[preset]
    whole = task._scan if preset == "doubling" else task._scan_words
    for text in typed_texts(edits):
        assert task.tokenize(text) == whole(text, 0), text


@pytest.mark.parametrize(
    "preset, text",
    [("doubling", " ".join(str(2 * i) for i in range(500))), ("sentiment", ("a good film " * 167).strip())],
)
def test_a_key_at_the_end_of_500_numbers_or_words_reads_the_last_one_again(preset, text) -> None:
    task = build_task(resolve(preset).task)
    task.tokenize(text)
    read: list[int] = []
    scan = task._rescan.scan
    task._rescan.scan = lambda t, pos: read.append(len(out := scan(t, pos))) or out
    n = len(task.tokenize(text + "4"))  # "998" became "9984", "film" became "film4"
    assert n == len(task.tokenize(text)) and read[0] == 1, read  # was every token


TASKS = {name: build_task(resolve(name).task) for name in ("doubling", "sentiment")}


@pytest.mark.parametrize(
    "preset, text, typed",
    [("doubling", "2 4 8", " 16"), ("sentiment", "a good", " film"), ("hello", "HELL", "O")],
)
def test_a_token_read_again_as_it_was_stays_the_same_object(preset, text, typed) -> None:
    """Typing after a token reads it again (the key could have extended it); read as it was, it is
    the same object, so the predictor's step for it and the table's rows stay (one step a key)."""
    task = build_task(resolve(preset).task)
    before = task.tokenize(text)
    after = task.tokenize(text + typed)
    assert len(after) == len(before) + 1 and all(a is b for a, b in zip(before, after, strict=False))
    assert task.tokenize(text + typed[:-1] + "x") != after  # a changed token is a new one
