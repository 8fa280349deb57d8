"""The app's model of one experiment: spec, a trainer in a child process, and the predictor.

UI-free on purpose: the Textual app calls it from its workers and handlers. The trainer runs in
its own process (core/trainer_process.py) so that drawing and training never wait for each
other's GIL; its events arrive on a reader thread and go to `post`. The predictor owns a CPU
copy of the model in this process, refreshed from the weights the child sends at report time.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rnntui.core import events as ev
from rnntui.core.spec import ExperimentSpec

# The trainer reports 2.5× a second inside the app (the CLI: 10×): each report costs the UI a
# redraw of the metrics panel, and the UI shares the machine's cores with training (with reports
# at 0.2 s and charts at 0.5 s the UI thread took 0.10–0.17 of a core, at 0.4 s and 1 s 0.07–0.09).
REPORT_EVERY_S = 0.4


_default_threads: list[int] = []


def remember_default_threads() -> None:
    """Call once in a fresh thread after importing torch: a new thread's intra-op thread count is
    torch's default (the number of cores), before anyone changes it."""
    import torch

    if not _default_threads:
        _default_threads.append(max(1, torch.get_num_threads()))


def threads_override() -> int | None:
    """RNNTUI_TRAIN_THREADS, when set to a number: the user's intra-op thread count for training."""
    try:
        return max(1, int(os.environ["RNNTUI_TRAIN_THREADS"]))
    except (KeyError, ValueError):
        return None


def training_threads() -> int:
    """Intra-op threads for a comparison trained in this process: RNNTUI_TRAIN_THREADS or torch's default."""
    return threads_override() or (_default_threads[0] if _default_threads else (os.cpu_count() or 1))


def helper_thread() -> None:
    """Call first in every app thread that runs torch ops but does not train (the UI thread, the
    build and load workers; training in this process is only a comparison's).

    OpenMP keeps a worker pool per thread that runs parallel regions. Measured on the 2-core CI
    machine: once a second thread has run ops with 2 intra-op threads, training in a new thread
    with 2 drops from ~80 to ~22 steps/s (long-memory) and ~340 to ~100 (hello). When every other
    thread runs its (small) ops on one thread, training keeps its full speed (74–86 steps/s).
    """
    import torch

    torch.set_num_threads(1)


class Session:
    def __init__(
        self,
        runs_dir: str | None = None,
        post: Callable[[ev.Event], None] | None = None,
        on_lost: Callable[[str], None] | None = None,
    ) -> None:
        self.runs_dir = Path(runs_dir) if runs_dir else None
        # Called on the trainer's reader thread: each must be thread-safe (post_message is).
        self.post = post or (lambda e: None)
        self.on_lost = on_lost or (lambda why: None)
        self.spec: ExperimentSpec | None = None
        self.trainer: Any = None  # a TrainerProcess
        self.predictor: Any = None
        self.task: Any = None
        self.lock = threading.Lock()
        self._weights: dict[str, Any] | None = None
        self._weights_version = 0
        self._loaded_version = 0
        self._weights_wanted = False
        self.running = False
        self.paused = False
        self._compare_stop = threading.Event()
        # Run in the child on its new Trainer (picklable; benchmarks swap in fixed batches).
        self.child_setup: Callable[[Any], None] | None = None

    @property
    def weights_wanted(self) -> bool:
        return self._weights_wanted

    @weights_wanted.setter
    def weights_wanted(self, wanted: bool) -> None:
        """Set while Predict is on screen: only then does the child send weights every 0.5 s
        (a run's end, a divergence and a single step always send them)."""
        if wanted != self._weights_wanted and self.trainer is not None:
            self.trainer.want_weights(wanted)
        self._weights_wanted = wanted

    # ---- building (worker thread) ------------------------------------------------------------
    def prepare(self, spec: ExperimentSpec) -> None:
        """A new trainer for `spec` (seeded: same spec → same weights) and a predictor for it."""
        from rnntui.core.trainer_child import Order

        self._start(Order(spec=spec, threads=threads_override(), setup=self.child_setup))

    def open_run(self, path: Any) -> None:
        """Load a saved run: its weights in Predict, and training resumes where it stopped."""
        from rnntui.core.trainer_child import Order

        self._start(Order(resume=str(path), threads=threads_override(), setup=self.child_setup))

    def _start(self, order: Any) -> None:
        helper_thread()
        from rnntui.core.experiment import build_model, build_task, task_sizes
        from rnntui.core.predictor import Predictor
        from rnntui.core.size_table import remember
        from rnntui.core.trainer_process import TrainerProcess

        trainer = TrainerProcess(order, on_event=self.post, on_weights=self._on_weights, on_lost=self.on_lost)
        try:
            task = build_task(trainer.spec.task, state=trainer.task_state)  # the trainer's own vocabulary
            remember(trainer.spec.task, task_sizes(task))  # the next start's first frame counts parameters
            model = build_model(trainer.spec, task)
            model.load_state_dict(trainer.initial_weights)
            trainer.initial_weights = None
            if self._weights_wanted:
                trainer.want_weights(True)
        except Exception:
            trainer.close()
            raise
        with self.lock:
            old = self.trainer
            self.spec, self.task, self.trainer = trainer.spec, task, trainer
            self.predictor = Predictor(model, task)
            self._weights = None
            self._weights_version = self._loaded_version = 0
            self.paused = False
        if old is not None:
            old.close()

    @property
    def params(self) -> int | None:
        return self.trainer.params if self.trainer is not None else None

    def wait_until_idle(self) -> None:
        """Block (in a worker) until a stopped run has finished its last step."""
        while self.running:
            time.sleep(0.02)

    def close(self) -> None:
        """End the trainer's process (a run in progress stops and checkpoints first)."""
        self.stop_training()
        if self.trainer is not None:
            self.trainer.close()

    # ---- training ----------------------------------------------------------------------------
    def train(self) -> None:
        """Train in the child; blocks (in a worker thread, which only waits) until the run ends."""
        from rnntui.core.runs import RunDir

        trainer = self.trainer
        self.paused = False
        self.running = True
        try:
            trainer.run(REPORT_EVERY_S, None if trainer.run_dir else RunDir.create(self.runs_dir, self.spec))
            trainer.wait_idle()
        finally:
            self.running = False
            self.paused = False

    def set_paused(self, paused: bool) -> None:
        """Pause (waits until the child is between two steps) or resume a run."""
        self.paused = paused
        if paused:
            self.trainer.pause()
        else:
            self.trainer.resume()

    def stop_training(self) -> None:
        """Stop a run or a comparison (returns at once; the run checkpoints as it ends)."""
        self._compare_stop.set()
        self.paused = False
        if self.trainer is not None:
            self.trainer.stop()

    def step(self) -> bool:
        """One step (idle or paused); its events reach `post`, its weights the predictor."""
        return self.trainer.step()

    def compare(self, vary: str, post: Any) -> list[Any]:
        """Train the current spec once per value of `vary` (same seed and batches), each in a run.

        Runs in this process (a worker thread) while the session's own trainer sits idle.
        `post(label, index, total, event)` gets every trainer event. Raises SpecError when a
        variant is not a valid network (e.g. a bidirectional next-token model).
        """
        from rnntui.core.compare import compare, parse_vary, variants
        from rnntui.core.runs import default_runs_dir

        items = variants(self.spec, parse_vary(vary))
        self._compare_stop.clear()
        self.running = True
        try:
            import torch

            torch.set_num_threads(training_threads())
            index = {item.label: i for i, item in enumerate(items)}
            return compare(
                items,
                runs_dir=self.runs_dir or default_runs_dir(),
                on_event=lambda label, e: post(label, index[label], len(items), e),
                stop=self._compare_stop,
            )
        finally:
            self.running = False

    def _on_weights(self, weights: dict[str, Any]) -> None:
        with self.lock:
            self._weights = weights
            self._weights_version += 1

    # ---- UI thread ---------------------------------------------------------------------------
    def refresh_predictor(self) -> bool:
        """Load the newest weights copy into the predictor; True when it changed."""
        with self.lock:
            if self._weights is None or self._weights_version == self._loaded_version:
                return False
            weights, self._loaded_version = self._weights, self._weights_version
        self.predictor.load_state_dict(weights)
        return True
