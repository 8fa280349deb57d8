"""The training keys: space (train, pause, resume), s (one step), r (reset the weights).

Each is a request that returns at once; the state says what was asked ("pausing…") until the
training process answers (app/state.py). A key that cannot act now says why in one line.
"""

from __future__ import annotations

import dataclasses

from rnntui.app.loading import Loading
from rnntui.app.state import Phase, Waiting
from rnntui.core import trainer_protocol as p

# The trainer reports 2.5× a second inside the app (the CLI: 10×): each report costs the UI a redraw
# of the numbers, and the UI shares the machine's cores with training.
REPORT_EVERY_S = 0.4


class TrainingActions(Loading):
    """On top of Loading: reset starts the network again (`_start`)."""

    def _refuse(self) -> bool:
        """True (and said why) when no training request can be taken now."""
        s = self.training
        if self.comparing:
            self.notify("a comparison is training: c stops it", severity="warning")
        elif s.phase is Phase.BLOCKED:
            self.notify(f"cannot train: {s.error}", severity="error")
        elif s.phase in (Phase.LOADING, Phase.BUILDING):
            self.notify("still loading…")
        elif s.phase in (Phase.FAILED, Phase.LOST):
            self.notify(f"cannot train: {s.error} (r starts again)", severity="error")
        elif s.waiting is not None:
            self.notify(s.waiting.value)
        else:
            return False
        return True

    def action_toggle_training(self) -> None:
        if self._refuse():
            return
        s = self.training
        if s.phase is Phase.TRAINING:
            self.link.request(p.Pause())
            self.training = dataclasses.replace(s, waiting=Waiting.PAUSE)
        elif s.phase is Phase.PAUSED:
            self.link.request(p.Resume())
            self.training = dataclasses.replace(s, phase=Phase.TRAINING)
        elif not s.steps_left:
            self.notify("all steps are done: r resets the weights, or raise steps in Build", severity="warning")
        else:
            runs = str(self.runs_dir) if self.runs_dir is not None else None
            self.link.request(p.Run(REPORT_EVERY_S, runs, steps=s.total))  # Build may have changed it
            self.training = dataclasses.replace(s, phase=Phase.TRAINING, finished=None, notice=None, error=None)

    def action_step(self) -> None:
        if self._refuse():
            return
        if self.training.phase is Phase.TRAINING:
            self.notify("training is running: space pauses it, then s steps")
            return
        self.link.request(p.Step())
        self.training = dataclasses.replace(self.training, waiting=Waiting.STEP)

    def action_reset(self) -> None:
        spec = self.training.spec
        if spec is None or self.training.phase in (Phase.LOADING, Phase.BLOCKED):
            return
        self._start(spec=spec)
        self.notify("weights reset (same seed)")
