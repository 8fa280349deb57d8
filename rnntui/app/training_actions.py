"""The training keys: space (train, pause, resume), s (one step), r (reset the weights).

Each is a request that returns at once; the state says what was asked ("pausing…") until the
training process answers (app/state.py). A key that cannot act now says why in one line, in the
status line (a toast covered the field being fixed and the numbers being watched).

A run in progress stays the user's whatever the Build form says: its error blocks only a new run.
"""

from __future__ import annotations

import dataclasses

from textual.widgets import Input

from rnntui.app.loading import Loading
from rnntui.app.state import ALL_DONE, Phase, Waiting
from rnntui.app.widgets.form import Choice
from rnntui.core import trainer_protocol as p

# The trainer reports 2.5× a second inside the app (the CLI: 10×): each report costs the UI a redraw
# of the numbers, and the UI shares the machine's cores with training.
REPORT_EVERY_S = 0.4


class TrainingActions(Loading):
    """On top of Loading: reset starts the network again (`_start`)."""

    def _refusal(self, new_steps: bool) -> str | None:
        """Why no training request can be taken now (None: it can). `new_steps`: the request
        trains steps beyond the current one (space from idle or paused, s), not a pause."""
        s = self.training
        if self.comparing:
            return "a comparison is training: c stops it"
        if s.phase is Phase.BLOCKED:
            return f"cannot train: {s.form_error}"
        if s.phase in (Phase.LOADING, Phase.BUILDING):
            return "still loading…"
        if s.phase in (Phase.FAILED, Phase.LOST):
            return f"cannot train: {s.error} (r starts again)"
        if s.waiting is not None:
            return s.waiting.value
        if new_steps and not s.steps_left:
            return ALL_DONE  # space and s alike: the run has no step left to take
        return None

    def _refuse(self, new_steps: bool = True) -> bool:
        """True (and said why, in the status line) when the request cannot be taken now."""
        why = self._refusal(new_steps)
        if why is not None:
            self.notify(why)
        return why is not None

    def action_toggle_training(self) -> None:
        s = self.training
        if self._refuse(new_steps=s.phase.idle):  # (resuming a run at its last step ends it)
            return
        if s.phase is Phase.TRAINING:
            self.link.request(p.Pause())
            self.training = dataclasses.replace(s, waiting=Waiting.PAUSE)
        elif s.phase is Phase.PAUSED:
            self.link.request(p.Resume())
            self.training = dataclasses.replace(s, phase=Phase.TRAINING)
        else:
            runs = str(self.runs_dir) if self.runs_dir is not None else None
            self.link.request(p.Run(REPORT_EVERY_S, runs, steps=s.total))  # Build may have changed it
            self.training = dataclasses.replace(s, phase=Phase.TRAINING, finished=None, notice=None, error=None)
        self._leave_field()

    def _leave_field(self) -> None:
        """Space works inside a field (so training is one key away from Build): it leaves the field
        too, or the digit pressed next to watch the run (2) is typed into it as an edit."""
        if self.views_ready and isinstance(self.focused, Input | Choice):
            self.view(self.current_view).focus()

    def action_step(self) -> None:
        if self._refuse():
            return
        if self.training.phase is Phase.TRAINING:
            self.notify("training is running: space pauses it, then s steps")
            return
        self.link.request(p.Step())
        self.training = dataclasses.replace(self.training, waiting=Waiting.STEP)

    def action_reset(self) -> None:
        """Fresh weights for the network in the form: an edit waiting for the pause applies now."""
        s = self.training
        if s.phase is Phase.BLOCKED:
            self.notify(f"cannot reset: {s.form_error}")
            return
        if s.spec is None or s.phase is Phase.LOADING:
            self.notify("still loading…")
            return
        self._start(spec=s.pending or s.spec)
        self.notify("a new network for your Build edit (same seed)" if s.pending else "weights reset (same seed)")
