"""Run the app; a crash exits non-zero (Textual returns 0 by default)."""

from __future__ import annotations

import sys

QUIET_S = 0.5  # a run saved this fast needs no word
SAVE_WAIT_S = 15.0  # then at most this long, said, before a stuck training process is ended


def run_app(preset: str | None = None, runs_dir: str | None = None) -> int:
    from rnntui.core.trainer_client import spare_core, warm_up

    # With a core to spare, first of all: the training process's fork server imports torch (its
    # longest wait) on it while this process imports Textual and draws the first frame. Otherwise
    # the app starts it after that frame (trainer_client.spare_core says why).
    if spare_core():
        warm_up()
    from rnntui.app.app import RnnApp

    app = RnnApp(preset=preset, runs_dir=runs_dir)
    try:
        app.run()
    finally:
        # The app left without waiting (a crash, an exit without q): its training process is
        # saving its run. With the terminal given back, give it the time to, or the interpreter's
        # exit would end it mid-save.
        if not app.wait_saved(QUIET_S):
            print("rnntui: saving the run…", file=sys.stderr, flush=True)
            app.wait_saved(SAVE_WAIT_S)
        app.end_training()
    return app.return_code or 0
