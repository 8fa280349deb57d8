"""The rnntui Textual app: composes the views and routes keys, workers and messages."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.notifications import SeverityLevel
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Input, Static
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
from rnntui.app.plain import Part, assemble, line
from rnntui.app.session import Session, helper_thread, remember_default_threads
from rnntui.app.widgets.key_bar import KeyBar
from rnntui.core.textsafe import sanitize
from rnntui.core.trainer_process import warm_up

VIEW_KEYS = Binding.Group("views", compact=True)
VIEWS = (("build", "1 Build"), ("train", "2 Train"), ("predict", "3 Predict"), ("runs", "4 Runs"))


NARROW = 110  # columns below which side-by-side panels stack
NOTICE_S = 4.0


def hidden(widget: Any) -> Any:
    widget.display = False
    return widget


def topbar_text(current: str | None, device: str, preset: str) -> Text:
    """The top bar: view tabs, then the preset and the device (the preset's name is data)."""
    parts: list[Part] = [("rnntui", "bold"), " "]
    for vid, label in VIEWS:
        parts += [(f" {label} ", "reverse" if vid == current else ""), " "]
    parts += ["  ", line(preset, "bold"), " · ", line(device)]
    text = assemble(*parts)
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


def status_text(status: str, notice: bool = False) -> Text:
    """The status line: what the app is doing and what to press next, or a passing notice (either
    may quote data)."""
    text = line(status, "bold" if notice else "")
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


class RnnApp(App[int]):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses may live anywhere
    AUTO_FOCUS = None  # keys go to the app until the user tabs into a field (or types in Predict)
    TITLE = "rnntui"
    COMMANDS = App.COMMANDS | {RnnCommands}
    # description: the key bar's word; tooltip: help's sentence.
    BINDINGS = [
        Binding("1", "view('build')", "Build", group=VIEW_KEYS, tooltip="Build: the network and its training settings"),
        Binding("2", "view('train')", "Train", group=VIEW_KEYS, tooltip="Train: live numbers and charts"),
        Binding("3", "view('predict')", "Predict", group=VIEW_KEYS, tooltip="Predict: type a prefix, see inside"),
        Binding("4", "view('runs')", "Runs", group=VIEW_KEYS, tooltip="Runs: every saved run; overlay, compare"),
        Binding("space", "toggle_training", "train", tooltip="start or pause training"),
        Binding("s", "step", "step", tooltip="one training step (idle or paused)"),
        Binding("r", "reset", "reset", tooltip="reset the weights (same seed: the same start)"),
        Binding("p", "presets", "presets", tooltip="presets menu: each lesson, what to try next"),
        Binding("c", "compare", "compare", show=False, tooltip="compare variants of the network (same seed)"),
        Binding("question_mark", "help", "help", tooltip="this help: the keys here and the lesson"),
        Binding("q", "quit", "quit", tooltip="quit (training stops first and the run is saved)"),
        Binding("escape", "leave_input", "leave field", tooltip="leave a text field, so single keys work again"),
    ]

    def __init__(self, preset: str | None = None, runs_dir: str | None = None) -> None:
        # Narrow from the start: most terminals are 80 columns, and a class set once the widgets
        # exist restyles every one of them (~50-75 ms of the first frame); a wide one pays it once.
        super().__init__()
        self.add_class("-narrow")
        self.initial_preset = preset
        self.session = Session(
            runs_dir,
            post=lambda e: self.post_message(TrainerReported(e)),
            on_lost=lambda why: self.post_message(TrainerLost(why)),
        )
        self.preset_entries: list[Any] = []
        self.device = "…"
        self.status = "loading torch…"  # what the app is doing: the status line shows it
        self.notice: str | None = None  # a passing message, shown in its place for NOTICE_S
        self._notice_timer: Timer | None = None
        self.blocked: str | None = None
        self._pending_spec: Any = None
        self._train_worker: Worker | None = None
        self._compare_worker: Worker | None = None
        self.views_ready = False
        self.preview_name: str | None = None  # the first frame's preset, until the real one is built
        self._compare_index = -1

    # ---- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static("", id="topbar")
        from rnntui.app.widgets.build_view import BuildView

        with Container(id="main"):
            # The first frame has the Build view with the preset read without torch (core/preview.py);
            # the other views (~300 widgets, plotext, DataTable) are imported and mounted just after
            # it: up front they delayed it ~0.1 s.
            with ContentSwitcher(id="views", initial="build"):
                yield BuildView(id="build")
        with Vertical(id="bottom"):
            yield Static("", id="status")
            yield KeyBar(id="keys")

    def on_mount(self) -> None:
        from rnntui.core.preview import preview

        first = preview(self.initial_preset or "hello")
        if first is not None:
            self.view("build").show(first.spec, first.params, editable=False)
            self.preview_name = first.spec.name
        self.update_topbar()
        self.call_after_refresh(self._after_first_frame)

    async def _after_first_frame(self) -> None:
        from rnntui.app.widgets.predict_view import PredictView
        from rnntui.app.widgets.runs_view import RunsView
        from rnntui.app.widgets.train_view import TrainView

        switcher = self.query_one(ContentSwitcher)
        await switcher.mount_all(
            [
                hidden(TrainView(id="train")),
                hidden(PredictView(id="predict")),
                hidden(RunsView(self.session.runs_dir, id="runs")),
            ]
        )
        switcher.current = "build"
        self.views_ready = True
        self.view("build").focus()
        self.update_topbar()
        # Start the ~1 s torch import only now: the importing thread holds the GIL for long
        # stretches and would delay the first frame. The trainer's fork server (a process of its
        # own) imports torch alongside; started before the first frame it delayed it by ~0.1 s.
        warm_up()
        self.load_torch()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Notices quote data (preset names, paths, errors): never markup, control characters shown.
        Information goes to the status line (a toast covered the charts); warnings and errors are
        toasts, at the top right."""
        if severity == "information":
            self.show_notice(message)
            return
        super().notify(sanitize(message), title=sanitize(title), severity=severity, timeout=timeout, markup=False)

    def view(self, name: str) -> Any:
        """One of the views (build, train, predict, runs); they exist once views_ready is True."""
        return self.query_one(f"#{name}")

    def on_resize(self, event: Any) -> None:
        narrow = event.size.width < NARROW
        if narrow != self.has_class("-narrow"):  # restyling every widget is not free
            self.set_class(narrow, "-narrow")

    def update_topbar(self) -> None:
        current = self.query_one(ContentSwitcher).current
        name = self.session.spec.name if self.session.spec else (self.preview_name or "…")
        self.query_one("#topbar", Static).update(topbar_text(current, self.device, name))
        self.query_one("#status", Static).update(status_text(self.notice or self.status, bool(self.notice)))

    def set_status(self, status: str) -> None:
        self.status = status
        self.update_topbar()

    def show_notice(self, message: str) -> None:
        """A message in the status line for a few seconds; then the status comes back."""
        self.notice = message
        if self._notice_timer is not None:
            self._notice_timer.stop()
        self._notice_timer = self.set_timer(NOTICE_S, self._clear_notice)
        self.update_topbar()

    def _clear_notice(self) -> None:
        self.notice = None
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
        if not self.views_ready:  # before the views exist, or while the app closes
            return
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
        predict = self.view("predict")
        if message.error == "preset":  # a new lesson: its own example, no hunt or unit of the last one
            predict.start_over(spec.example)
        predict.set_predictor(s.predictor, s.task.prefix_hint)
        self.set_status("ready: space to train")

    # ---- build edits -------------------------------------------------------------------------
    @on(SpecEdited)
    def _spec_edited(self, message: SpecEdited) -> None:
        if not self.views_ready:  # before the views exist, or while the app closes
            return
        build = self.view("build")
        built = self.session.spec
        # The network's size is the built one's while only training settings differ.
        same_network = built is not None and (message.spec.model, message.spec.task) == (built.model, built.task)
        params = self.session.params if same_network else None
        if message.error:
            self.blocked = message.error
            build.refresh_side(message.spec, message.error, params)
            self.set_status("fix the network in Build to train")
            return
        self.blocked = None
        build.refresh_side(message.spec, None, params)
        self._pending_spec = message.spec
        self.set_timer(0.3, self._apply_pending_spec)  # debounce: typing "128" builds once

    def _apply_pending_spec(self) -> None:
        spec, self._pending_spec = self._pending_spec, None
        if spec is None:
            return
        if spec == self.session.spec:  # an invalid edit was undone: the built network stands
            self.view("build").refresh_side(spec, None, self.session.params)
            self.set_status("ready: space to train")
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
        if not self.views_ready:  # before the views exist, or while the app closes
            return
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
        self.view("train").handle(e)
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

        run_dirs: dict[str, str | None] = {}

        def post(label: str, index: int, total: int, e: Any) -> None:
            if isinstance(e, ev.Started):
                run_dirs[label] = e.run_dir
            if isinstance(e, ev.Progress) and e.points:
                steps = self.session.spec.train.steps
                step = e.points[-1].step
                self.post_message(CompareProgress(label, index, total, step, steps, run_dirs.get(label)))

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
        if not self.views_ready:  # before the views exist, or while the app closes
            return
        runs = self.view("runs")
        if m.index != self._compare_index:  # a variant's run just started: list it, overlay it
            self._compare_index = m.index
            if m.run_dir:
                runs.selected.add(Path(m.run_dir))
            runs.reload()
        elif m.run_dir:
            runs.live_progress(Path(m.run_dir), m.step)
        runs.show_compare(f"comparing: {m.label} ({m.index + 1} of {m.total}) step {m.step}/{m.steps} · c stops")

    @on(CompareDone)
    def _compare_done(self, m: CompareDone) -> None:
        if not self.views_ready:  # before the views exist, or while the app closes
            return
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
            self.view("train").focus()
        elif name == "predict":
            self.session.refresh_predictor()  # the newest weights copy, if training made one
            self.view("predict").refresh_prediction()
            self.query_one("#prefix", Input).focus()
        elif name == "runs":
            self.view("runs").reload()
            self.query_one("#runs-table").focus()
        else:
            self.view("build").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave_input":
            return isinstance(self.focused, Input)  # shown (and needed) only while typing in a field
        return True

    def action_leave_input(self) -> None:
        """Leave a field: the view itself has the focus, so its keys and the app's work again."""
        current = self.query_one(ContentSwitcher).current
        if current is not None and self.views_ready:
            self.view(current).focus()

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
        from rnntui.app.widgets.help_screen import HelpScreen, help_sections

        spec = self.session.spec
        current = self.query_one(ContentSwitcher).current or "build"
        view = self.view(current) if self.views_ready else None
        sections = help_sections(self, view)
        self.push_screen(HelpScreen(sections, spec.title if spec else "", spec.lesson if spec else ""))

    def on_unmount(self) -> None:
        """Every way out (q, a crash, the terminal closing) ends here: stop training and end the
        trainer's process (a run in progress checkpoints first). Messages still queued from the
        trainer find no views from here on (views_ready).

        Thread workers run in asyncio's default executor, whose shutdown waits for them: a run
        left training (or paused) would keep the process from exiting.
        """
        self.views_ready = False
        self.session.close()

    async def action_quit(self) -> None:
        """Stop training first so the run's files are complete, then leave."""
        self.stop_training()
        deadline = time.monotonic() + 15
        while (self.training_active() or self.comparing()) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self.exit(0)
