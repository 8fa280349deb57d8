"""Command palette: the App's system commands (`App.get_system_commands`: Textual's own, every
action, "Load preset: NAME" for every preset), shown by a provider that never parses them as markup.

A preset's name and title are data: they are never spliced into an action string (a name with an
apostrophe broke `load_preset('…')`, and a crafted one could have called any action) or into markup
(Textual's SystemCommandsProvider highlights a match with Matcher.highlight, which parses the title
as markup: "[/]" crashed it). Commands are callables; text is Content.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.app import ComposeResult, SystemCommand
from textual.command import CommandInput, CommandPalette, DiscoveryHit, Hit, Hits
from textual.content import Content
from textual.fuzzy import Matcher
from textual.system_commands import SystemCommandsProvider

from rnntui.app.plain import KeysInOrder
from rnntui.core.textsafe import one_line

if TYPE_CHECKING:
    from rnntui.app.view_actions import ViewActions

# (title, action on the App, help); an action "view.action" runs on that view after showing it.
ACTIONS = (
    ("Show Build view", "view('build')", "choose the architecture and training settings"),
    ("Show Train view", "view('train')", "live charts of loss, gradient norm and gradient through time"),
    ("Show Predict view", "view('predict')", "type a prefix and watch the prediction and hidden state"),
    ("Show Runs view", "view('runs')", "every run on disk; overlay, delete, open, resume"),
    ("Start / pause training", "toggle_training", "space"),
    ("One training step", "step", "s"),
    ("Reset weights", "reset", "r: same seed, fresh weights"),
    ("Compare variants", "compare", "c: cells, depth, direction or clipping, same seed and batches"),
    ("Toggle per-layer gradient norms", "train.toggle_per_layer", "g in the Train view"),
    ("Presets menu", "presets", "p"),
    ("Help", "help", "?"),
)


def rnn_commands(app: ViewActions) -> Iterator[SystemCommand]:
    for title, action, help_ in ACTIONS:
        yield SystemCommand(title, help_, partial(run, app, action))
    for entry in app.preset_entries:
        help_ = one_line(entry.spec.title) if entry.spec else "(has an error)"
        yield SystemCommand(one_line(f"Load preset: {entry.name}"), help_, partial(app.action_load_preset, entry.name))


async def run(app: ViewActions, action: str) -> None:
    view, _, name = action.rpartition(".")
    if not view:
        await app.run_action(name)
    elif app.views_ready:  # a view's own key, from anywhere: that view comes up and acts
        app.action_view(view)
        await app.run_action(name, app.view(view))


class SafeSystemCommands(SystemCommandsProvider):
    """Textual's system-commands provider, with every title and help as plain text."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object], bool]]:
        return [(c.title, c.help, c.callback, c.discover) for c in self.app.get_system_commands(self.screen)]

    async def discover(self) -> Hits:
        for title, help_, callback, discover in sorted(self._commands(), key=lambda c: c[0]):
            if discover:
                yield DiscoveryHit(Content(title), callback, text=title, help=Content(help_))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_, callback, _ in self._commands():
            if (score := matcher.match(title)) > 0:
                yield Hit(score, highlight(matcher, title), callback, text=title, help=Content(help_))


def highlight(matcher: Matcher, candidate: str) -> Content:
    """The candidate with its matched characters styled, as Matcher.highlight does, but built from
    Content: Matcher.highlight parses the candidate as markup."""
    content = Content(candidate)
    if not matcher.query:
        return content
    score, offsets = matcher.fuzzy_search.match(matcher.query, candidate)
    if score:
        for offset in offsets:
            if not candidate[offset].isspace():
                content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class OrderedCommandInput(CommandInput, KeysInOrder):
    """The palette's search field, its keys in the order typed (plain.py: KeysInOrder)."""


class CommandPaletteInOrder(CommandPalette):
    """Textual's command palette, its search field an OrderedCommandInput: a typo fixed with
    backspace while training ran (`dox⌫u`) searched for `dox`, the backspace run after the `u`."""

    def compose(self) -> ComposeResult:
        for widget in super().compose():  # (Textual's layout, one widget swapped)
            if isinstance(widget, CommandInput):
                widget = OrderedCommandInput(placeholder=widget.placeholder, select_on_focus=False)
            yield widget
