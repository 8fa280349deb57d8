"""Text that is not ours, as widget content: never markup, every control character visible.

Preset names, titles and lessons, typed prefixes, regexes, generated samples, run folders and
error messages (which quote them) reach widgets only through these helpers. A string given to
`Static.update()` is parsed as markup, and `escape()` does not escape everything (`[AEIOU]` is
dropped, `[@click=…]` runs an action), so data always travels in a `Text` built here: styles come
from our code, characters from the data, control characters shown as symbols (core/textsafe.py).
"""

from __future__ import annotations

from rich.text import Text
from textual.events import Key
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


# Input's own actions that move the cursor or edit the text: what must keep its place among the
# characters typed. Not the others: submit, cut/copy/paste and the scrolling Input inherits (copy
# with nothing selected and every scroll give the key up to the bindings above the field, which a
# key stopped here would lose: the palette's ↑/↓, Predict's pageup, ctrl+c's "ctrl+q quits").
EDITING = frozenset(
    {
        "cursor_left",
        "cursor_right",
        "cursor_left_word",
        "cursor_right_word",
        "home",
        "end",
        "select_all",
        "delete_left",
        "delete_right",
        "delete_left_word",
        "delete_right_word",
        "delete_left_all",
        "delete_right_all",
    }
)


class KeysInOrder(Input):
    """An Input whose editing keys (backspace, ←, home…) run in the order they were typed. Input
    types a printable key at once but leaves a bound key to bubble up to the App, whose bindings
    run it later (textual#6605): with the App busy training, backspace ×5 then `2 4 8` in the
    prefix `2 4 8` left `2 4 2`. Other keys, those bound above the field and priority keys
    (checked before the field sees them) travel as they always did."""

    async def _on_key(self, event: Key) -> None:
        # (Input's own `_on_key` runs after this one, for the printable keys and the cursor's blink.)
        if event.is_printable:
            return
        for name in event.aliases:
            active = self.screen.active_bindings.get(name)
            if active is None or active.node is not self or not active.enabled or active.binding.priority:
                continue
            if active.binding.action.partition("(")[0] in EDITING:
                event.stop()  # (not on to the App: its bindings would run the action a second time)
                await self.run_action(active.binding.action)
            return


class PlainInput(KeysInOrder):
    """An Input whose value never holds a control character (typed, pasted or set by code): a
    tab becomes a space, the rest their visible symbols. Input draws its value as it is."""

    def validate_value(self, value: str) -> str:
        return one_line(value.replace("\t", " "))
