"""Moving around: fields and views, the presets menu, help, and Predict's round trip to the
predictor (a keystroke is a request; the prediction comes back as a message)."""

from __future__ import annotations

from collections.abc import Iterable

from textual import on
from textual.app import SystemCommand
from textual.screen import Screen
from textual.widgets import Input

from rnntui.app.loading import Loading
from rnntui.app.messages import HuntRanked, HuntRequested, Predicted, PredictFailed, PredictorLoaded, PredictRequested
from rnntui.core import predictor_protocol as pp

TEXTUAL_LEFT_OUT = ("Keys", "Maximize", "Minimize")


class ViewActions(Loading):
    """On top of Loading: a preset chosen in the menu loads (`action_load_preset`)."""

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette: Textual's commands (theme, screenshot, quit), then ours (commands.py).
        Not Textual's "Keys" panel: `?` (our Help) lists every key, and that panel squashed the
        views beside it and was closed by neither esc, ? nor q. Nor "Maximize": our views fill
        the screen already, and a field blown up to the whole screen shows nothing more."""
        from rnntui.app.commands import rnn_commands

        yield from (c for c in super().get_system_commands(screen) if c.title not in TEXTUAL_LEFT_OUT)
        yield from rnn_commands(self)

    def action_command_palette(self) -> None:
        """Textual's palette, its search field's keys in the order typed (commands.py)."""
        from rnntui.app.commands import CommandPaletteInOrder

        if self.use_command_palette and not CommandPaletteInOrder.is_open(self):
            self.push_screen(CommandPaletteInOrder(id="--command-palette"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave_input":
            return isinstance(self.focused, Input)  # shown (and needed) only while typing in a field
        if action in ("toggle_training", "step", "reset") and self.comparing:
            return False  # not offered: c stops the comparison first
        return True

    def action_leave_input(self) -> None:
        """Leave a field: the view itself has the focus, so its keys and the app's work again."""
        self._prefix_deferred = False  # left on purpose: the prefix does not take the focus back
        if self.views_ready:
            self.view(self.current_view).focus()

    def action_presets(self) -> None:
        if not self.preset_entries:
            self.notify("presets are still loading…")
            return
        from rnntui.app.widgets.presets_screen import PresetsScreen

        current = self.training.spec.name if self.training.spec else None
        self.push_screen(PresetsScreen(self.preset_entries, current), self._preset_chosen)

    def _preset_chosen(self, name: str | None) -> None:
        if name:
            self.action_load_preset(name)

    def action_help(self) -> None:
        from rnntui.app.widgets.help_screen import HelpScreen, help_sections

        spec = self.training.spec
        view = self.view(self.current_view) if self.views_ready else None
        sections = help_sections(self, view)
        self.push_screen(HelpScreen(sections, spec.title if spec else "", spec.lesson if spec else ""))

    # ---- prediction --------------------------------------------------------------------------
    @on(PredictRequested)
    def _predict_requested(self, message: PredictRequested) -> None:
        self.predictor.request(pp.Feed(message.prefix, message.top_k, message.map))

    @on(HuntRequested)
    def _hunt_requested(self, message: HuntRequested) -> None:
        self.predictor.request(pp.Hunt(message.prefix, message.pattern, message.generation))

    @on(HuntRanked)
    def _hunt_ranked(self, message: HuntRanked) -> None:
        from rnntui.app.widgets.predict_view import PredictView

        if self.views_ready:
            self.query_one(PredictView).ranked(message.hunted)

    @on(PredictorLoaded)
    @on(Predicted)
    @on(PredictFailed)
    def _predicted(self, message: PredictorLoaded | Predicted | PredictFailed) -> None:
        self.predicting = self.predicting.after(message)  # the Predict view watches it
        if isinstance(message, PredictorLoaded) and self.views_ready:
            predict = self.view("predict")
            if self._prefix_deferred and self.current_view == "predict" and self.focused is predict:
                self._focus_prefix()  # opened while it loaded: ready now, typing goes to the prefix
