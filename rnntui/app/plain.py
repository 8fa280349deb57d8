"""Text that is not ours, as widget content: never markup, every control character visible.

Preset names, titles and lessons, typed prefixes, regexes, generated samples, run folders and
error messages (which quote them) reach widgets only through these helpers. A string given to
`Static.update()` is parsed as markup, and `escape()` does not escape everything (`[AEIOU]` is
dropped, `[@click=…]` runs an action), so data always travels in a `Text` built here: styles come
from our code, characters from the data, control characters shown as symbols (core/textsafe.py).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Input

from rnntui.core.textsafe import one_line, sanitize

# A piece of assembled text: data (str), data with a style of ours, or a Text already made safe.
Part = str | tuple[str, str] | Text


def plain(text: str, style: str = "") -> Text:
    """Data as a Text (newlines kept)."""
    return Text(sanitize(text), style=style)


def line(text: str, style: str = "") -> Text:
    """Data as a one-line Text (tabs and newlines shown as symbols)."""
    return Text(one_line(text), style=style)


def assemble(*parts: Part) -> Text:
    """Like `Text.assemble`, with every string sanitised: `assemble(("goal ", "bold"), name)`."""
    out = Text()
    for part in parts:
        if isinstance(part, Text):
            out.append_text(part)
        elif isinstance(part, tuple):
            out.append(sanitize(part[0]), style=part[1])
        else:
            out.append(sanitize(part))
    return out


def join(lines: list[Text], sep: str = "\n") -> Text:
    return Text(sep).join(lines)


class PlainInput(Input):
    """An Input whose value never holds a control character (typed, pasted or set by code): a
    tab becomes a space, the rest their visible symbols. Input draws its value as it is."""

    def validate_value(self, value: str) -> str:
        return one_line(value.replace("\t", " "))
