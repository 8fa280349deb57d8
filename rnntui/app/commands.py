"""Command palette: every action, and "Load preset: NAME" for every preset."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

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


class RnnCommands(Provider):
    def _commands(self) -> list[tuple[str, str, str]]:
        app = self.app
        out = [(name, action, help_) for name, action, help_ in ACTIONS]
        for entry in getattr(app, "preset_entries", []):
            title = entry.spec.title if entry.spec else "(has an error)"
            out.append((f"Load preset: {entry.name}", f"load_preset('{entry.name}')", title))
        return out

    async def discover(self) -> Hits:
        for name, action, help_ in self._commands():
            yield DiscoveryHit(name, partial(self.app.run_action, action), help=help_)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, action, help_ in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(self.app.run_action, action), help=help_)
