"""The rnntui Textual app: composes the views and routes keys, workers and messages."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from rich.markup import escape
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.widgets import ContentSwitcher, Footer, Input, Static
from textual.worker import Worker, WorkerState

from rnntui.app.commands import RnnCommands
from rnntui.app.messages import (
    CompareDone,
    CompareProgress,
    OpenRun,
    SessionReady,
    SpecEdited,
    TorchLoaded,
    TrainerLost,
    TrainerReported,
)
from rnntui.app.session import Session, helper_thread, remember_default_threads
from rnntui.core.trainer_process import warm_up

VIEWS = (("build", "1 Build"), ("train", "2 Train"), ("predict", "3 Predict"), ("runs", "4 Runs"))


NARROW = 110  # columns below which side-by-side panels stack


def hidden(widget: Any) -> Any:
    widget.display = False
    return widget


class RnnApp(App[int]):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses may live anywhere
    AUTO_FOCUS = None  # keys go to the app until the user tabs into a field (or types in Predict)
    TITLE = "rnntui"
    COMMANDS = App.COMMANDS | {RnnCommands}
    BINDINGS = [
        Binding("1", "view('build')", "Build"),
        Binding("2", "view('train')", "Train"),
        Binding("3", "view('predict')", "Predict"),
        Binding("4", "view('runs')", "Runs"),
        Binding("p", "presets", "Presets"),
        Binding("space", "toggle_training", "Start/pause"),
        Binding("s", "step", "Step"),
        Binding("r", "reset", "Reset"),
        Binding("g", "toggle_layers", "Layers", show=False),
        Binding("c", "compare", "Compare", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
        Binding("escape", "leave_input", "Leave input", show=False),
    ]

    def __init__(self, preset: str | None = None, runs_dir: str | None = None) -> None:
        super().__init__()
        self.initial_preset = preset
        self.session = Session(
            runs_dir,
            post=lambda e: self.post_message(TrainerReported(e)),
            on_lost=lambda why: self.post_message(TrainerLost(why)),
        )
        self.preset_entries: list[Any] = []
        self.device = "…"
        self.status = "loading torch…"
        self.blocked: str | None = None
        self._pending_spec: Any = None
        self._train_worker: Worker | None = None
        self._compare_worker: Worker | None = None
        self.views_ready = False
        self._compare_index = -1

    # ---- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static("", id="topbar")
        with Container(id="main"):
            # The views (~300 widgets, plotext, DataTable) are imported and mounted just after the
            # first frame (top bar, "loading torch…" and the keys): up front they delay it ~0.1 s.
            yield ContentSwitcher(id="views")
        yield Footer()

    def on_mount(self) -> None:
        self.set_class(self.size.width < NARROW, "-narrow")
        self.update_topbar()
        self.call_after_refresh(self._after_first_frame)

    async def _after_first_frame(self) -> None:
        from rnntui.app.widgets.build_view import BuildView
        from rnntui.app.widgets.predict_view import PredictView
        from rnntui.app.widgets.runs_view import RunsView
        from rnntui.app.widgets.train_view import TrainView

        switcher = self.query_one(ContentSwitcher)
        await switcher.mount_all(
            [
                BuildView(id="build"),
                hidden(TrainView(id="train")),
                hidden(PredictView(id="predict")),
                hidden(RunsView(self.session.runs_dir, id="runs")),
            ]
        )
        switcher.current = "build"
        self.views_ready = True
        self.update_topbar()
        # Start the ~1 s torch import only now: the importing thread holds the GIL for long
        # stretches and would delay the first frame. The trainer's fork server (a process of its
        # own) imports torch alongside; started before the first frame it delayed it by ~0.1 s.
        warm_up()
        self.load_torch()

    def view(self, name: str) -> Any:
        """One of the views (build, train, predict, runs); they exist once views_ready is True."""
        return self.query_one(f"#{name}")

    def on_resize(self, event: Any) -> None:
        narrow = event.size.width < NARROW
        if narrow != self.has_class("-narrow"):  # restyling every widget is not free
            self.set_class(narrow, "-narrow")

    def update_topbar(self) -> None:
        current = self.query_one(ContentSwitcher).current
        tabs = " ".join(f"[reverse] {label} [/reverse]" if vid == current else f" {label} " for vid, label in VIEWS)
        name = self.session.spec.name if self.session.spec else "…"
        self.query_one("#topbar", Static).update(
            f"[b]rnntui[/b] {tabs}   [b]{escape(self.device)}[/b] · preset [b]{escape(name)}[/b]"
            f" · {escape(self.status)}"
        )

    def set_status(self, status: str) -> None:
        self.status = status
        self.update_topbar()

    # ---- loading -----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load_torch(self) -> None:
        """torch takes ~1 s to import: the first frame is already on screen while it loads."""
        try:
            from rnntui.core.device import describe_device, resolve_device
            from rnntui.core.presets import discover, sorted_entries

            remember_default_threads()
            helper_thread()

            device = describe_device(resolve_device("auto"))
            self.post_message(TorchLoaded(sorted_entries(discover()), device))
        except Exception as exc:  # pragma: no cover - shown to the user
            self.post_message(TorchLoaded([], "?", error=str(exc)))

    @on(TorchLoaded)
    def _torch_loaded(self, message: TorchLoaded) -> None:
        if message.error:
            self.set_status(f"could not load torch: {message.error}")
            return
        self.preset_entries, self.device = message.presets, message.device
        helper_thread()  # the predictor runs on this (the UI) thread
        names = [e.name for e in self.preset_entries if e.spec is not None]
        wanted = self.initial_preset or ("hello" if "hello" in names else (names[0] if names else None))
        if self.initial_preset and self.initial_preset not in names:
            self.notify(f"unknown preset {self.initial_preset!r}; loaded hello instead", severity="error")
            wanted = "hello" if "hello" in names else (names[0] if names else None)
        if wanted is None:
            self.set_status("no presets found")
            return
        self.action_load_preset(wanted)

    def action_load_preset(self, name: str) -> None:
        entry = next((e for e in self.preset_entries if e.name == name), None)
        if entry is None or entry.spec is None:
            self.notify(f"preset {name!r} cannot be loaded: {entry.error if entry else 'unknown'}", severity="error")
            return
        self.stop_training()
        self.prepare(entry.spec, from_preset=True)

    @on(OpenRun)
    def _open_run(self, message: OpenRun) -> None:
        self.stop_training()
        self.set_status("opening run…")
        self._open_worker(message.path)

    @work(thread=True, exclusive=True, group="prepare", exit_on_error=False)
    def _open_worker(self, path: Any) -> None:
        try:
            self.session.wait_until_idle()
            self.session.open_run(path)
            self.post_message(SessionReady(self.session.spec, error="preset"))
            self.call_from_thread(self.action_view, "predict")
        except Exception as exc:  # e.g. the run is in use by another process: the loaded network stays
            self.call_from_thread(self._open_failed, f"cannot open {Path(path).name}: {exc}")

    def _open_failed(self, why: str) -> None:
        self.set_status("ready: space to train" if self.session.trainer is not None else "cannot open the run")
        self.notify(why, severity="error", timeout=10, markup=False)

    def prepare(self, spec: Any, from_preset: bool = False) -> None:
        self.set_status("building…")
        self._prepare_worker(spec, from_preset)

    @work(thread=True, exclusive=True, group="prepare", exit_on_error=False)
    def _prepare_worker(self, spec: Any, from_preset: bool) -> None:
        try:
            self.session.wait_until_idle()
            self.session.prepare(spec)
            self.post_message(SessionReady(spec, error="preset" if from_preset else None))
        except Exception as exc:
            self.post_message(SessionReady(spec, error=f"failed: {exc}"))

    @on(SessionReady)
    def _session_ready(self, message: SessionReady) -> None:
        if message.error and message.error.startswith("failed"):
            self.blocked = message.error
            self.set_status("cannot build this network")
            self.notify(message.error, severity="error")
            return
        s = self.session
        spec = message.spec
        self.blocked = None
        build = self.view("build")
        if message.error == "preset":
            build.show(spec, s.params)
        else:
            build.spec = spec
            build.refresh_side(spec, None, s.params)
        self.view("train").reset(spec, s.task.baseline, self.device)
        self.view("predict").set_predictor(s.predictor, s.task.prefix_hint)
        self.set_status("ready: space to train")

    # ---- build edits -------------------------------------------------------------------------
    @on(SpecEdited)
    def _spec_edited(self, message: SpecEdited) -> None:
        build = self.view("build")
        if message.error:
            self.blocked = message.error
            build.refresh_side(message.spec, message.error, None)
            self.set_status("fix the network in Build to train")
            return
        self.blocked = None
        build.refresh_side(message.spec, None, self.session.params)
        self._pending_spec = message.spec
        self.set_timer(0.3, self._apply_pending_spec)  # debounce: typing "128" builds once

    def _apply_pending_spec(self) -> None:
        spec, self._pending_spec = self._pending_spec, None
        if spec is None or spec == self.session.spec:
            return
        self.stop_training()
        self.prepare(spec)

    # ---- training ----------------------------------------------------------------------------
    def training_active(self) -> bool:
        return self._train_worker is not None and self._train_worker.state in (WorkerState.PENDING, WorkerState.RUNNING)

    def comparing(self) -> bool:
        w = self._compare_worker
        return w is not None and w.state in (WorkerState.PENDING, WorkerState.RUNNING)

    def action_toggle_training(self) -> None:
        if self.comparing():
            self.notify("a comparison is training: c stops it", severity="warning")
            return
        if self.blocked:
            self.notify(f"cannot train: {self.blocked}", severity="error")
            return
        if self.session.trainer is None:
            self.notify("still loading…")
            return
        if self.training_active():
            if self.session.paused:
                self.session.set_paused(False)
                self.set_status("training")
            else:
                self.session.set_paused(True)
                self.set_status(f"paused at step {self.session.trainer.step_count}: space resumes, s steps")
            return
        if self.session.trainer.step_count >= self.session.spec.train.steps:
            self.notify("all steps are done: r resets the weights, or raise steps in Build", severity="warning")
            return
        self.set_status("training")
        self._train_worker = self._train()

    @work(thread=True, exclusive=True, group="train", exit_on_error=False)
    def _train(self) -> None:
        try:
            self.session.train()
        except Exception as exc:  # e.g. a runs folder that cannot be written: said, not swallowed
            self.call_from_thread(self._train_failed, str(exc))

    def _train_failed(self, why: str) -> None:
        self.set_status("cannot train")
        self.notify(f"cannot train: {why}", severity="error", timeout=10, markup=False)

    def stop_training(self) -> None:
        self.session.stop_training()

    @on(TrainerLost)
    def _trainer_lost(self, message: TrainerLost) -> None:
        self.set_status("training process lost: r restarts it")
        self.notify(f"{message.reason}. Press r to start a new one (same seed).", severity="error", timeout=15)

    @on(TrainerReported)
    def _trainer_reported(self, message: TrainerReported) -> None:
        from rnntui.core import events as ev

        e = message.event
        status = ""
        if isinstance(e, ev.Finished):
            status = {
                "completed": "finished: all steps done",
                "goal": "goal reached: stopped",
                "stopped": "stopped",
                "diverged": "paused: training diverged",
            }.get(e.reason, e.reason)
            self.set_status(status)
        elif isinstance(e, ev.Diverged):
            self.notify("training diverged: see the Train view for what to try", severity="error", timeout=8)
        elif isinstance(e, ev.GoalReached):
            self.notify(f"goal reached at step {e.step}", timeout=5)
        self.view("train").handle(e, status)
        if self.query_one(ContentSwitcher).current == "predict" and self.session.refresh_predictor():
            self.view("predict").weights_changed()

    def action_step(self) -> None:
        if self.comparing():
            self.notify("a comparison is training: c stops it", severity="warning")
            return
        if self.blocked or self.session.trainer is None:
            self.notify("cannot step: " + (self.blocked or "still loading"), severity="error")
            return
        if self.training_active() and not self.session.paused:
            self.notify("training is running: space pauses it, then s steps")
            return
        if not self.session.step():
            self.notify("the step did not finish: the training process is gone (r restarts it)", severity="error")
            return
        if self.session.refresh_predictor():
            self.view("predict").weights_changed()
        self.set_status(f"stepped to {self.session.trainer.step_count}")

    def action_reset(self) -> None:
        if self.session.spec is None:
            return
        self.stop_training()
        self.prepare(self.session.spec)
        self.notify("weights reset (same seed)")

    # ---- compare -----------------------------------------------------------------------------
    def action_compare(self) -> None:
        """Train the loaded network once per variant of one axis; the Runs view overlays them."""
        if self.comparing():
            self.session.stop_training()
            self.set_status("stopping the comparison…")
            return
        if self.blocked or self.session.spec is None:
            self.notify("cannot compare: " + (self.blocked or "still loading"), severity="error")
            return

        def chosen(vary: str | None) -> None:
            if vary:
                self.stop_training()
                self.action_view("runs")
                self.set_status(f"comparing {vary.split('=')[0]}")  # the top bar is short at 80 columns
                self._compare_index = -1
                self._compare_worker = self._compare(vary)

        from rnntui.app.widgets.compare_screen import CompareScreen

        self.push_screen(CompareScreen(self.session.spec), chosen)

    @work(thread=True, exclusive=True, group="compare", exit_on_error=False)
    def _compare(self, vary: str) -> None:
        from rnntui.core import events as ev

        self.session.wait_until_idle()

        def post(label: str, index: int, total: int, e: Any) -> None:
            if isinstance(e, ev.Progress) and e.points:
                steps = self.session.spec.train.steps
                self.post_message(CompareProgress(label, index, total, e.points[-1].step, steps))

        try:
            results = self.session.compare(vary, post)
        except Exception as exc:
            self.post_message(CompareDone([], error=str(exc)))
            return
        dirs = [r.run_dir for r in results if r.run_dir]
        stopped = any(r.reason == "stopped" for r in results)
        self.post_message(CompareDone(dirs, stopped=stopped))

    @on(CompareProgress)
    def _compare_progress(self, m: CompareProgress) -> None:
        if m.index != self._compare_index:  # a variant's run just started: list it
            self._compare_index = m.index
            self.view("runs").reload()
        self.view("runs").show_compare(
            f"comparing: {m.label} ({m.index + 1} of {m.total}) step {m.step}/{m.steps} · c stops"
        )

    @on(CompareDone)
    def _compare_done(self, m: CompareDone) -> None:
        view = self.view("runs")
        if m.error:
            view.show_compare("")
            self.set_status("comparison failed")
            self.notify(f"cannot compare: {m.error}", severity="error", timeout=8)
            return
        word = "stopped" if m.stopped else "done"
        view.show_compare(f"comparison {word}: {len(m.run_dirs)} runs overlaid below (same seed and batches)")
        view.compared(m.run_dirs)
        self.set_status(f"comparison {word}")

    def action_toggle_layers(self) -> None:
        if self.views_ready:
            self.view("train").toggle_per_layer()

    # ---- views and screens -------------------------------------------------------------------
    def action_view(self, name: str) -> None:
        if not self.views_ready:
            return  # a key pressed in the first tenth of a second
        self.query_one(ContentSwitcher).current = name
        self.session.weights_wanted = name == "predict"
        self.update_topbar()
        if name == "train":
            self.view("train").replot_all()
        elif name == "predict":
            self.session.refresh_predictor()  # the newest weights copy, if training made one
            self.view("predict").refresh_prediction()
            self.query_one("#prefix", Input).focus()
        elif name == "runs":
            self.view("runs").reload()
            self.query_one("#runs-table").focus()

    def action_leave_input(self) -> None:
        if self.focused is not None:
            self.set_focus(None)

    def action_presets(self) -> None:
        if not self.preset_entries:
            self.notify("presets are still loading…")
            return

        def chosen(name: str | None) -> None:
            if name:
                self.action_load_preset(name)

        current = self.session.spec.name if self.session.spec else None
        from rnntui.app.widgets.presets_screen import PresetsScreen

        self.push_screen(PresetsScreen(self.preset_entries, current), chosen)

    def action_help(self) -> None:
        spec = self.session.spec
        from rnntui.app.widgets.help_screen import HelpScreen

        self.push_screen(HelpScreen(spec.title if spec else "", spec.lesson if spec else ""))

    def on_unmount(self) -> None:
        """Every way out (q, a crash, the terminal closing) ends here: stop training and end the
        trainer's process (a run in progress checkpoints first).

        Thread workers run in asyncio's default executor, whose shutdown waits for them: a run
        left training (or paused) would keep the process from exiting.
        """
        self.session.close()

    async def action_quit(self) -> None:
        """Stop training first so the run's files are complete, then leave."""
        self.stop_training()
        deadline = time.monotonic() + 15
        while (self.training_active() or self.comparing()) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self.exit(0)
