"""What every part of the App shares: the one training state, the views, the chrome and notices.

The App is this base plus one class per concern (loading.py, training_actions.py,
compare_actions.py, view_actions.py), each a subclass of AppBase so its `@on` handlers register;
app.py composes them. State changes only by replacing `training` (app/state.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.reactive import reactive, var
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Input, Static

from rnntui.app.chrome import show, status_text, topbar_text
from rnntui.app.comparison import CompareState, Comparison
from rnntui.app.predict_state import PredictState
from rnntui.app.predictor_link import PredictorLink
from rnntui.app.state import TrainingState, status_line
from rnntui.app.training_link import TrainingLink
from rnntui.core import trainer_protocol as p
from rnntui.core.presets import PresetEntry
from rnntui.core.spec import ExperimentSpec

NOTICE_S = 4.0  # a passing notice (news, a key refused)
ERROR_S = 10.0  # an error stays at least this long


class AppBase(App[int]):
    # `var`, not `reactive`: a reactive repaints its owner at every change, and the App's owner is
    # the whole screen: one full frame (~14 KB at 120×40) per report. The views (vars too) redraw
    # only the widgets whose content changed.
    training: reactive[TrainingState] = var(TrainingState(), always_update=True)
    compare_state: reactive[CompareState | None] = var(None, always_update=True)
    predicting: reactive[PredictState] = var(PredictState, always_update=True)

    def __init__(self, preset: str | None = None, runs_dir: str | None = None) -> None:
        super().__init__()
        self.initial_preset = preset
        self.runs_dir = Path(runs_dir) if runs_dir else None
        self.link = TrainingLink(self.post_message)
        self.predictor = PredictorLink(self.post_message)
        self.comparison: Comparison | None = None
        self.preset_entries: list[PresetEntry] = []
        self.views_ready = False
        self.preview_name: str | None = None  # the first frame's preset, until the real one is built
        self.notice: str | None = None  # a passing message, shown in the status line for NOTICE_S
        self.notice_is_error = False  # shown in the error style, wrapped, for ERROR_S or more
        self._notice_timer: Timer | None = None
        self._edit_timer: Timer | None = None
        self._fallback: ExperimentSpec | None = None  # rebuilt if opening a run fails
        self._quitting = False
        self._prefix_deferred = False  # Predict was opened before its network: the prefix, when ready
        self.presets_asked = False  # read_menu has been called (once is enough)
        self.first_preset: Path | None = None  # the first frame's preset file
        self.training_asked = False  # the first network was asked for from that file
        self._early_replies: list[Message] | None = []  # replies before the views exist (None after)
        self._network: tuple[ExperimentSpec, dict[str, Any]] | None = None  # Ready's, for the predictor

    def view(self, name: str) -> Widget:
        return self.query_one(f"#{name}")

    @property
    def current_view(self) -> str:
        return self.query_one(ContentSwitcher).current or "build"

    def action_view(self, name: str) -> None:
        """Show a view; its first field (or the view itself) has the focus."""
        if not self.views_ready:
            return  # a key pressed in the first tenth of a second
        self.query_one(ContentSwitcher).current = name
        self.link.request(p.WantWeights(name == "predict"))  # Predict follows the weights live
        self.update_chrome()
        self._prefix_deferred = False
        if name == "predict":
            self._focus_prefix()
        elif name == "runs":
            self.query_one("#runs-table").focus()
        else:
            self.view(name).focus()

    def _focus_prefix(self) -> None:
        """Predict's prefix has the focus once its network is ready; until then the view has it, so
        the keys pressed meanwhile (4, 1) still switch views instead of being typed and lost."""
        from rnntui.app.widgets.predict_view import PredictView  # (mounted after the first frame)

        predict = self.query_one(PredictView)
        (self.query_one("#prefix", Input) if predict.ready else predict).focus()
        self._prefix_deferred = not predict.ready

    def watch_training(self, state: TrainingState) -> None:
        self.update_chrome()

    def watch_compare_state(self, state: CompareState | None) -> None:
        self.update_chrome()
        self.refresh_bindings()  # the training keys go while a comparison trains, and come back

    @property
    def comparing(self) -> bool:
        """A comparison is training: the loaded network's keys wait until it is done."""
        return self.compare_state is not None and not self.compare_state.done

    def update_chrome(self) -> None:
        if not self.query("#topbar"):  # the app is closing: a last reply finds its screen gone
            return
        state = self.training
        name = state.spec.name if state.spec else (self.preview_name or "…")
        # One row each (a new status at every report): no layout pass, except when an error
        # notice wraps onto more rows or stops doing so.
        show(self.query_one("#topbar", Static), topbar_text(self.current_view, state.device, name))
        shown = self.notice or (self.compare_state.line if self.comparing else status_line(state))
        error = bool(self.notice) and self.notice_is_error
        status = self.query_one("#status", Static)
        resized = error != status.has_class("-error")
        status.set_class(error, "-error")
        show(status, status_text(shown, bool(self.notice), wrap=error), layout=resized or error)

    @property
    def status(self) -> str:
        """The status line's text (without a passing notice)."""
        return status_line(self.training)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notice is said in the status line, none in a toast: at 80×24 a toast covered the
        Build field being fixed, the run's numbers, the Train view's own advice. An error stays
        longer, in the error style, wrapped onto up to three rows. Notices quote data (preset
        names, paths, errors): never markup (status_text shows control characters)."""
        self.notice = f"{title}: {message}" if title else message
        self.notice_is_error = severity == "error"
        wait = max(timeout or 0.0, ERROR_S if self.notice_is_error else NOTICE_S)
        if self._notice_timer is not None:
            self._notice_timer.stop()
        self._notice_timer = self.set_timer(wait, self._clear_notice)
        self.update_chrome()

    def _clear_notice(self) -> None:
        self.notice = None
        self.notice_is_error = False
        self.update_chrome()
