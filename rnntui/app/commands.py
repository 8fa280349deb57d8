"""Command palette: every action, and "Load preset: NAME" for every preset.

A preset's name and title are data: they are never spliced into an action string (a name with an
apostrophe broke `load_preset('…')`, and a crafted one could have called any action) or into markup
(the palette parses a str prompt or help as markup). Commands are callables; text is Content.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher

from rnntui.core.textsafe import one_line

ACTIONS = (
    ("Show Build view", "view('build')", "choose the architecture and training settings"),
    ("Show Train view", "view('train')", "live charts of loss, gradient norm and gradient through time"),
    ("Show Predict view", "view('predict')", "type a prefix and watch the prediction and hidden state"),
    ("Start / pause training", "toggle_training", "space"),
    ("One training step", "step", "s"),
    ("Reset weights", "reset", "r: same seed, fresh weights"),
    ("Show Runs view", "view('runs')", "every run on disk; overlay, delete, open, resume"),
    ("Compare variants", "compare", "c: cells, depth, direction or clipping, same seed and batches"),
    ("Toggle per-layer gradient norms", "toggle_layers", "g"),
    ("Presets menu", "presets", "p"),
    ("Help", "help", "?"),
    ("Quit", "quit", "q"),
)


@dataclass(frozen=True)
class PaletteCommand:
    name: str  # shown and matched, already one visible line
    run: Callable[[], object]
    help: str


class RnnCommands(Provider):
    def _commands(self) -> list[PaletteCommand]:
        app = self.app
        out = [PaletteCommand(name, partial(app.run_action, action), help_) for name, action, help_ in ACTIONS]
        load = getattr(app, "action_load_preset", None)
        for entry in getattr(app, "preset_entries", []):
            title = entry.spec.title if entry.spec else "(has an error)"
            if load is not None:
                out.append(PaletteCommand(one_line(f"Load preset: {entry.name}"), partial(load, entry.name), title))
        return out

    async def discover(self) -> Hits:
        for c in self._commands():
            yield DiscoveryHit(Content(c.name), c.run, text=c.name, help=Content(one_line(c.help)))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for c in self._commands():
            score = matcher.match(c.name)
            if score > 0:
                yield Hit(score, highlight(matcher, c.name), c.run, text=c.name, help=Content(one_line(c.help)))


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
