"""Run the app; a crash exits non-zero (Textual returns 0 by default)."""

from __future__ import annotations


def run_app(preset: str | None = None, runs_dir: str | None = None) -> int:
    from rnntui.app.app import RnnApp

    app = RnnApp(preset=preset, runs_dir=runs_dir)
    app.run()
    return app.return_code or 0
