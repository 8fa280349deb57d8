"""The rnntui Textual app: composes the views, turns keys into requests and replies into state.

One direction: a key → an action (training_actions.py, compare_actions.py, view_actions.py) → a
request to the training process (TrainingLink) or the predictor's process (PredictorLink), which return at
once → their answers arrive as messages (loading.py turns the training process's into state) →
`training`, one immutable TrainingState (app/state.py), is replaced → the views watch it and redraw.
Nothing here waits, sleeps or runs torch.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.events import Resize
from textual.widgets import ContentSwitcher, Static

from rnntui.app.commands import SafeSystemCommands
from rnntui.app.compare_actions import CompareActions
from rnntui.app.state import Waiting
from rnntui.app.terminal_watch import watch_terminal
from rnntui.app.training_actions import TrainingActions
from rnntui.app.view_actions import ViewActions
from rnntui.app.widgets.key_bar import KeyBar
from rnntui.core.trainer_client import warm, warm_up

VIEW_KEYS = Binding.Group("views", compact=True)
NARROW = 110  # columns below which side-by-side panels stack
QUIT_WAIT_S = 15.0  # q: at most this long for the run to be saved before the app leaves anyway


class RnnApp(ViewActions, TrainingActions, CompareActions):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses may live anywhere
    AUTO_FOCUS = None
    TITLE = "rnntui"
    COMMANDS = {SafeSystemCommands}  # in place of Textual's, which reads titles as markup
    # description: the key bar's word; tooltip: help's sentence.
    BINDINGS = [
        Binding("1", "view('build')", "Build", group=VIEW_KEYS, tooltip="Build: the network and its training settings"),
        Binding("2", "view('train')", "Train", group=VIEW_KEYS, tooltip="Train: live numbers and charts"),
        Binding("3", "view('predict')", "Predict", group=VIEW_KEYS, tooltip="Predict: type a prefix, see inside"),
        Binding("4", "view('runs')", "Runs", group=VIEW_KEYS, tooltip="Runs: every saved run; overlay, compare"),
        Binding("space", "toggle_training", "train", tooltip="start or pause training (until every step is done)"),
        Binding("s", "step", "step", tooltip="one training step, idle or paused (until the steps are done)"),
        Binding("r", "reset", "reset", tooltip="reset the weights (same seed); applies a waiting Build edit"),
        Binding("p", "presets", "presets", tooltip="presets menu: each lesson, what to try next"),
        Binding("c", "compare", "compare", show=False, tooltip="compare variants of the network (same seed)"),
        Binding("question_mark", "help", "help", tooltip="this help: the keys here and the lesson"),
        Binding("q", "quit", "quit", tooltip="quit (training stops first and the run is saved)"),
        Binding("escape", "leave_input", "leave field", tooltip="leave a text field, so single keys work again"),
    ]

    def __init__(self, preset: str | None = None, runs_dir: str | None = None) -> None:
        super().__init__(preset, runs_dir)
        # Narrow from the start: most terminals are 80 columns, and a class set once the widgets
        # exist restyles every one of them (~50-75 ms of the first frame); a wide one pays it once.
        self.add_class("-narrow")

    # ---- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        from rnntui.app.widgets.build_view import BuildView

        yield Static("", id="topbar")
        with Container(id="main"):
            # The first frame has the Build view with the preset read without torch (core/preview.py);
            # the other views (~300 widgets, plotext, DataTable) are mounted just after it.
            with ContentSwitcher(id="views", initial="build"):
                yield BuildView(id="build").data_bind(RnnApp.training)
        with Vertical(id="bottom"):
            yield Static("", id="status")
            yield KeyBar(id="keys")

    def on_mount(self) -> None:
        from rnntui.core.preview import preview

        first = preview(self.initial_preset or "hello")
        if first is not None:
            self.view("build").show(first.spec, first.params, editable=False)
            self.preview_name = first.spec.name
        # The training process is the longest wait: it is asked for from the preset's file (it reads
        # the file with the task classes this process has not imported) as soon as its fork server
        # runs: now, if run_app started it (a core was idle), else right after the first frame.
        self.first_preset = first.path if first is not None else None
        if warm():
            self.start_first()
        self.update_chrome()
        self.call_after_refresh(self._after_first_frame)
        if not self.is_headless:
            watch_terminal(self._terminal_gone)

    def _terminal_gone(self) -> None:
        """(The watching thread.) The terminal hung up without a signal: leave as `q` does, the
        run stopped and saved, rather than live on unseen (terminal_watch.py)."""
        try:
            self.call_from_thread(self.action_quit)
        except RuntimeError:  # the app is leaving already
            pass

    async def _after_first_frame(self) -> None:
        from rnntui.app.widgets.predict_view import PredictView
        from rnntui.app.widgets.runs_view import RunsView
        from rnntui.app.widgets.train_view import TrainView

        warm_up()
        self.start_first()  # (the views are mounted meanwhile)
        views = [
            TrainView(id="train").data_bind(RnnApp.training),
            PredictView(id="predict").data_bind(RnnApp.training, RnnApp.predicting),
            RunsView(self.runs_dir, id="runs").data_bind(RnnApp.training, compare=RnnApp.compare_state),
        ]
        for view in views:
            view.display = False
        await self.query_one(ContentSwitcher).mount_all(views)
        self.views_ready = True
        self.view("build").focus()
        self.replay_early_replies()
        if not self.training_asked:  # no preset file to start from: the presets are read first
            self.load_presets()

    def on_resize(self, event: Resize) -> None:
        narrow = event.size.width < NARROW
        if narrow != self.has_class("-narrow"):  # restyling every widget is not free
            self.set_class(narrow, "-narrow")

    # ---- leaving -----------------------------------------------------------------------------
    async def action_quit(self) -> None:
        """Stop training first so the run's files are complete, then leave (when the process says
        Closed; at most QUIT_WAIT_S later if it never does)."""
        self._quitting = True
        if self.comparison is not None:
            self.comparison.stop()
        if not self.link.running:
            self.exit(0)
            return
        self.link.close()
        self.training = dataclasses.replace(self.training, waiting=Waiting.STOP)
        self.set_timer(QUIT_WAIT_S, lambda: self.exit(0))

    def on_unmount(self) -> None:
        """Every way out the app sees (q, a crash, an exit) ends here. Nothing waits: the training
        processes are asked to close, and each stops its run, saves it and exits by itself (it
        would on the pipe's EOF too, if the app died). `wait_saved` gives them the time after the
        app has left, off the event loop (main.py)."""
        self.views_ready = False
        self.link.close()
        if self.comparison is not None:
            self.comparison.close()
        self.predictor.close()

    def wait_saved(self, timeout: float) -> bool:
        """After the app has left: wait up to `timeout` for its training processes to save their
        runs and end (the interpreter's exit would end them mid-save); True when they have."""
        clients = [c for c in (self.link.client, self.comparison.client if self.comparison else None) if c]
        deadline = time.monotonic() + timeout
        return all(c.wait(max(0.0, deadline - time.monotonic())) for c in clients)

    def end_training(self) -> None:
        """Processes that did not end in time are ended (their last checkpoint stands)."""
        for client in (self.link.client, self.comparison.client if self.comparison else None):
            if client is not None:
                client.join(0)
