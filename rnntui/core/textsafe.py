"""Text that is not ours, made safe to show in a terminal.

Preset titles and lessons, training text, generated samples, run folder names, typed prefixes and
regexes may come from someone else. A raw ESC, CSI (0x9B) or OSC sequence in them would repaint,
retitle or reprogram the user's terminal; BEL rings it; a carriage return overwrites the line.
`sanitize()` replaces every such character with a visible symbol of the same width (one character
for one character, so positions in the text still line up with what is shown): C0 controls with
their Unicode "control picture" (ESC → ␛), DEL with ␡, C1 controls and the bidirectional overrides
that reorder what a terminal displays ("Trojan source") with �, and so are lone surrogates. Tab and newline are kept;
`one_line()` also shows those, for table cells, top bars and other single-line places.

Every boundary where text meets a terminal calls one of these (the app's widgets, the headless
commands' human-readable output); `--json` output keeps the exact data.
"""

from __future__ import annotations

REPLACEMENT = "\ufffd"  # �

_TABLE: dict[int, str] = {c: chr(0x2400 + c) for c in range(0x20) if c not in (0x09, 0x0A)}
_TABLE[0x7F] = "\u2421"  # ␡
_TABLE.update({c: REPLACEMENT for c in range(0x80, 0xA0)})  # C1: 0x9B is a one-byte CSI
# Bidirectional embeddings, overrides and isolates: they reorder the characters a terminal shows.
_TABLE.update({c: REPLACEMENT for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))})
_TABLE[0x2028] = "\u2424"  # LINE SEPARATOR and PARAGRAPH SEPARATOR break lines in some terminals
_TABLE[0x2029] = "\u2424"
# Lone surrogates: a file name or a vocabulary read with surrogateescape holds "\udc9b", which is
# written back out as the raw byte 0x9B (a CSI) — or fails to encode at all under strict UTF-8.
_TABLE.update({c: REPLACEMENT for c in range(0xD800, 0xE000)})

_ONE_LINE = {**_TABLE, 0x09: "\u2409", 0x0A: "\u2424"}  # ␉ ␤


def sanitize(text: str) -> str:
    """`text` with every terminal control character shown as a visible symbol (tab, newline kept)."""
    return text.translate(_TABLE)


def one_line(text: str) -> str:
    """Like `sanitize`, and tabs and newlines are shown too: the result is one line."""
    return text.translate(_ONE_LINE)


def is_safe(text: str) -> bool:
    """True when `text` holds nothing `sanitize` would replace."""
    return text.translate(_TABLE) == text
