"""The one sanitiser: every terminal control character becomes visible, one for one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rnntui.core.textsafe import is_safe, one_line, sanitize

CONTROLS = [chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0))]


def test_escape_sequences_are_shown_not_obeyed() -> None:
    hostile = "title\x1b]0;pwned\x07\x1b[2J\x9b31m\rend"
    shown = sanitize(hostile)
    assert shown == "title␛]0;pwned␇␛[2J\ufffd31m␍end"
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown and "\r" not in shown


def test_tab_and_newline_are_kept_except_on_one_line() -> None:
    assert sanitize("a\tb\nc") == "a\tb\nc"
    assert one_line("a\tb\nc") == "a␉b␤c"


def test_bidi_overrides_are_shown() -> None:
    assert sanitize("abc\u202edef\u2066") == "abc\ufffddef\ufffd"


@given(st.text())
def test_no_control_character_survives_and_length_is_kept(text: str) -> None:
    shown = sanitize(text)
    assert len(shown) == len(text)
    assert not any(ch in shown for ch in CONTROLS)
    assert is_safe(shown)
    line = one_line(text)
    assert "\n" not in line and "\t" not in line and len(line) == len(text)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Zl", "Zp", "Cs"))))
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert sanitize(text) == text and is_safe(text)
