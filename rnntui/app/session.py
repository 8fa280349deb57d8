"""The app's model of one experiment: spec, trainer, predictor and the threads between them.

UI-free on purpose: the Textual app calls it from its workers and handlers. The predictor owns a
separate CPU copy of the model, refreshed from the trainer's weights at report time, so typing in
Predict never reads weights that the training thread is writing.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from rnntui.core import events as ev
from rnntui.core.spec import ExperimentSpec

WEIGHTS_EVERY_S = 0.5
# The trainer reports 2.5× a second inside the app (the CLI: 10×). Each report costs the UI thread
# a redraw of the metrics, and every millisecond the UI holds the GIL the training thread waits:
# with reports at 0.2 s and charts at 0.5 s the UI thread took 0.10–0.17 of a core while training,
# at 0.4 s and 1 s it takes 0.07–0.09.
REPORT_EVERY_S = 0.4


_default_threads: list[int] = []


def remember_default_threads() -> None:
    """Call once in a fresh thread after importing torch: a new thread's intra-op thread count is
    torch's default (the number of cores), before anyone changes it."""
    import torch

    if not _default_threads:
        _default_threads.append(max(1, torch.get_num_threads()))


def training_threads() -> int:
    """Intra-op threads for CPU training inside the app: torch's default, or RNNTUI_TRAIN_THREADS."""
    try:
        return max(1, int(os.environ["RNNTUI_TRAIN_THREADS"]))
    except (KeyError, ValueError):
        return _default_threads[0] if _default_threads else (os.cpu_count() or 1)


def helper_thread() -> None:
    """Call first in every app thread that runs torch ops but does not train (the UI thread, the
    build and load workers).

    OpenMP keeps a worker pool per thread that runs parallel regions. Measured on the 2-core CI
    machine: once a second thread has run ops with 2 intra-op threads, training in a new thread
    with 2 drops from ~80 to ~22 steps/s (long-memory) and ~340 to ~100 (hello). When every other
    thread runs its (small) ops on one thread, training keeps its full speed (74–86 steps/s).
    """
    import torch

    torch.set_num_threads(1)


class Session:
    def __init__(self, runs_dir: str | None = None) -> None:
        self.runs_dir = Path(runs_dir) if runs_dir else None
        self.spec: ExperimentSpec | None = None
        self.trainer: Any = None
        self.predictor: Any = None
        self.task: Any = None
        self.stop = threading.Event()
        self.pause = threading.Event()
        self.lock = threading.Lock()
        self._weights: dict[str, Any] | None = None
        self._weights_version = 0
        self._loaded_version = 0
        self._weights_t = 0.0
        self.running = False
        # Set by the app while Predict is on screen: only then does the training thread pay for
        # a copy of the weights every WEIGHTS_EVERY_S (a run's end always copies them).
        self.weights_wanted = False

    # ---- building (worker thread) ------------------------------------------------------------
    def prepare(self, spec: ExperimentSpec) -> None:
        """Build task, trainer and predictor for `spec` (seeded: same spec → same weights)."""
        helper_thread()
        from rnntui.core.experiment import build_model, build_task
        from rnntui.core.predictor import Predictor
        from rnntui.core.trainer import Trainer

        task = build_task(spec.task)
        trainer = Trainer(spec, task=task)
        model = build_model(spec, task)
        model.load_state_dict(trainer.cpu_state())
        with self.lock:
            self.spec, self.task, self.trainer = spec, task, trainer
            self.predictor = Predictor(model, task)
            self._weights = None
            self._weights_version = self._loaded_version = 0

    def open_run(self, path: Any) -> None:
        """Load a saved run: its weights in Predict, and training resumes where it stopped."""
        helper_thread()
        from rnntui.core.experiment import build_model
        from rnntui.core.predictor import Predictor
        from rnntui.core.runs import RunDir
        from rnntui.core.trainer import Trainer

        trainer = Trainer.resume(RunDir(Path(path)))
        model = build_model(trainer.spec, trainer.task)
        model.load_state_dict(trainer.cpu_state())
        with self.lock:
            self.spec, self.task, self.trainer = trainer.spec, trainer.task, trainer
            self.predictor = Predictor(model, trainer.task)
            self._weights = None
            self._weights_version = self._loaded_version = 0

    @property
    def params(self) -> int | None:
        return self.trainer.model.param_count() if self.trainer is not None else None

    def wait_until_idle(self) -> None:
        """Block (in a worker) until a stopped training thread has finished its last step."""
        while self.running:
            time.sleep(0.02)

    # ---- training (worker thread) ------------------------------------------------------------
    def train(self, post: Any) -> ev.Finished:
        from rnntui.core.runs import RunDir

        trainer = self.trainer
        if trainer.run_dir is None:
            trainer.run_dir = RunDir.create(self.runs_dir, trainer.spec)
        self.stop.clear()
        self.running = True
        if trainer.device.type == "cpu":
            import torch

            torch.set_num_threads(training_threads())  # this thread only: see helper_thread()

        def on_event(e: ev.Event) -> None:
            if isinstance(e, ev.Progress | ev.Finished | ev.Diverged):
                self._maybe_copy_weights(force=not isinstance(e, ev.Progress))
            post(e)

        try:
            return trainer.run(stop=self.stop, pause=self.pause, on_event=on_event, every_s=REPORT_EVERY_S)
        finally:
            self.running = False

    def compare(self, vary: str, post: Any) -> list[Any]:
        """Train the current spec once per value of `vary` (same seed and batches), each in a run.

        `post(label, index, total, event)` gets every trainer event. Raises SpecError when a
        variant is not a valid network (e.g. a bidirectional next-token model).
        """
        from rnntui.core.compare import compare, parse_vary, variants
        from rnntui.core.runs import default_runs_dir

        items = variants(self.spec, parse_vary(vary))
        self.stop.clear()
        self.running = True
        try:
            import torch

            torch.set_num_threads(training_threads())
            index = {item.label: i for i, item in enumerate(items)}
            return compare(
                items,
                runs_dir=self.runs_dir or default_runs_dir(),
                on_event=lambda label, e: post(label, index[label], len(items), e),
                stop=self.stop,
            )
        finally:
            self.running = False

    def _maybe_copy_weights(self, force: bool = False) -> None:
        now = time.perf_counter()
        if force or (self.weights_wanted and now - self._weights_t >= WEIGHTS_EVERY_S):
            weights = self.trainer.cpu_state()  # runs in the training thread: no race with updates
            with self.lock:
                self._weights = weights
                self._weights_version += 1
            self._weights_t = now

    # ---- UI thread ---------------------------------------------------------------------------
    def step(self, post: Any) -> None:
        """One step from the UI thread (only while no training thread is stepping)."""
        self.trainer.step(on_event=post)
        self._maybe_copy_weights(force=True)

    def refresh_predictor(self) -> bool:
        """Load the newest weights copy into the predictor; True when it changed."""
        with self.lock:
            if self._weights is None or self._weights_version == self._loaded_version:
                return False
            weights, self._loaded_version = self._weights, self._weights_version
        self.predictor.load_state_dict(weights)
        return True
