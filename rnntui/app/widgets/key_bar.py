"""The key bar: every key that works now, on one line at 80 columns.

Textual's Footer gives each key its label and scrolls off the edge when they do not fit; at 80
columns it lost `s`, `r`, `?` and `q`. This bar reads the same active bindings, puts the focused
view's own keys first, and when the line is too long it drops the labels of the app-wide keys
(from the right; their labels are in help, `?`) before it ever drops a key; as a last resort it wraps.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from rich.text import Text
from textual.app import App
from textual.binding import Binding
from textual.command import CommandPalette
from textual.screen import Screen
from textual.widgets import Static


@dataclass(frozen=True)
class KeyHint:
    keys: str  # what to press, e.g. "1-4" or "space"
    label: str  # what it does, e.g. "views"
    app_wide: bool  # an app binding (its label can go when room is short) or the view's own


def key_display(app: App[object], binding: Binding) -> str:
    return app.get_key_display(binding)


def hints(screen: Screen[object]) -> list[KeyHint]:
    """The shown bindings active on `screen`: the focused view's first, then the app's; a binding
    group (1 2 3 4 → views) is one hint."""
    app = screen.app
    own: list[KeyHint] = []
    app_wide: list[KeyHint] = []
    seen: set[str] = set()
    active = [(node, b) for node, b, _enabled, _tip in screen.active_bindings.values() if b.show]
    for group, items in groupby(active, key=lambda nb: (nb[1].group, nb[0] is app)):
        pairs = list(items)
        is_app = pairs[0][0] is app
        target = app_wide if is_app else own
        if group[0] is not None and len(pairs) > 1:
            keys = [key_display(app, b) for _, b in pairs]
            shown = f"{keys[0]}-{keys[-1]}" if len(keys) > 2 else "/".join(keys)
            target.append(KeyHint(shown, group[0].description, is_app))
            continue
        for _, b in pairs:
            if b.action in seen:
                continue
            seen.add(b.action)
            target.append(KeyHint(key_display(app, b), b.description, is_app))
    if app.ENABLE_COMMAND_PALETTE and not isinstance(screen, CommandPalette):
        app_wide.append(KeyHint(format_key_name(app.COMMAND_PALETTE_BINDING), "palette", True))
    return own + app_wide


def format_key_name(key: str) -> str:
    return "^" + key.removeprefix("ctrl+") if key.startswith("ctrl+") else key


def render_hints(items: list[KeyHint], width: int) -> Text:
    """One line: every key, with its label while there is room. Labels of app-wide keys go first,
    from the right, then the view's own, from the right. Wraps only if the keys alone do not fit."""
    labelled = [True] * len(items)
    # Which labels go first when the line is too long: the app-wide keys' from the right, then the
    # view's own from the right (the first keys of a view are its main ones).
    app_wide = [i for i, h in enumerate(items) if not h.app_wide] + [i for i, h in enumerate(items) if h.app_wide]

    def build() -> Text:
        out = Text()
        for i, h in enumerate(items):
            if i:
                out.append("  " if labelled[i] or labelled[i - 1] else " ")
            out.append(h.keys, style="bold")
            if labelled[i]:
                out.append(f" {h.label}", style="dim")
        return out

    text = build()
    while text.cell_len > width and app_wide:
        labelled[app_wide.pop()] = False
        text = build()
    return text


class KeyBar(Static):
    DEFAULT_CSS = "KeyBar { height: auto; }"
    _drawn: tuple[str, int] = ("", 0)  # the keys' text and the width it was drawn for
    _rows = 0

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        # A dialog or menu on top (presets, help, compare, delete, a choice's list) has keys of its
        # own: the bar lists those while it is up (the view's keys below it do nothing there).
        self.app.screen_change_signal.subscribe(self, self._bindings_changed)
        self.redraw()  # in the first frame already
        self.call_after_refresh(self.redraw)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)
        self.app.screen_change_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        self.call_after_refresh(self.redraw)

    def on_resize(self) -> None:
        self.redraw()

    @property
    def keys_of(self) -> Screen[object]:
        """The screen whose keys work now: the top one."""
        return self.app.screen if self.app.screen_stack else self.screen

    def redraw(self) -> None:
        """Draw the keys again, when they changed: a view switch asks twice (the focus, the
        bindings), and each update was a layout pass of the whole screen. Only a change in the
        bar's rows (it wraps as a last resort) needs one."""
        if not self.is_attached:
            return
        width = max(20, self.size.width)
        text = render_hints(hints(self.keys_of), width)
        if (text.plain, width) == self._drawn:
            return
        rows = len(text.wrap(self.app.console, width))
        self.update(text, layout=rows != self._rows)
        self._drawn, self._rows = (text.plain, width), rows

    @property
    def shown_keys(self) -> list[str]:
        """The keys the bar lists now (tests and help read it)."""
        return [h.keys for h in hints(self.keys_of)]
