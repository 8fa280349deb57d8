"""The rnntui Textual app: composes the views, turns keys into requests and replies into state.

One direction: a key → an action here → a request to the training process (TrainingLink) or the
predictor (PredictorThread), which return at once → their answers arrive as messages → `training`
(one immutable TrainingState, app/state.py) is replaced → the views watch it and redraw. Nothing
here waits, sleeps or runs torch.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.events import Resize
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Input, Static

from rnntui.app.chrome import status_text, topbar_text
from rnntui.app.commands import RnnCommands
from rnntui.app.comparison import CompareState, Comparison
from rnntui.app.messages import (
    CompareReplied,
    OpenRun,
    Predicted,
    PredictFailed,
    PredictorLoaded,
    PredictRequested,
    SpecEdited,
    TorchLoaded,
    TrainerReplied,
)
from rnntui.app.predictor_thread import Feed, Network, PredictorThread
from rnntui.app.state import Phase, TrainingState, Waiting, reduce, status_line
from rnntui.app.torch_threads import threads_override
from rnntui.app.training_link import TrainingLink
from rnntui.app.widgets.key_bar import KeyBar
from rnntui.core import trainer_protocol as p
from rnntui.core.presets import PresetEntry
from rnntui.core.spec import ExperimentSpec
from rnntui.core.textsafe import sanitize
from rnntui.core.trainer_client import warm_up

VIEW_KEYS = Binding.Group("views", compact=True)
NARROW = 110  # columns below which side-by-side panels stack
NOTICE_S = 4.0
# The trainer reports 2.5× a second inside the app (the CLI: 10×): each report costs the UI a redraw
# of the numbers, and the UI shares the machine's cores with training.
REPORT_EVERY_S = 0.4
QUIT_WAIT_S = 15.0  # at most this long for the run to be saved before the app leaves anyway


class RnnApp(App[int]):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses may live anywhere
    AUTO_FOCUS = None
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
    training: reactive[TrainingState] = reactive(TrainingState(), always_update=True)
    compare_state: reactive[CompareState | None] = reactive(None, always_update=True)

    def __init__(self, preset: str | None = None, runs_dir: str | None = None) -> None:
        super().__init__()
        # Narrow from the start: most terminals are 80 columns, and a class set once the widgets
        # exist restyles every one of them (~50-75 ms of the first frame); a wide one pays it once.
        self.add_class("-narrow")
        self.initial_preset = preset
        self.runs_dir = Path(runs_dir) if runs_dir else None
        self.link = TrainingLink(self.post_message)
        self.predictor = PredictorThread(self.post_message)
        self.comparison: Comparison | None = None
        self.preset_entries: list[PresetEntry] = []
        self.views_ready = False
        self.preview_name: str | None = None  # the first frame's preset, until the real one is built
        self.notice: str | None = None  # a passing message, shown in the status line for NOTICE_S
        self._notice_timer: Timer | None = None
        self._edit_timer: Timer | None = None
        self._fallback: ExperimentSpec | None = None  # rebuilt if opening a run fails
        self._quitting = False

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
        self.update_chrome()
        self.call_after_refresh(self._after_first_frame)

    async def _after_first_frame(self) -> None:
        from rnntui.app.widgets.predict_view import PredictView
        from rnntui.app.widgets.runs_view import RunsView
        from rnntui.app.widgets.train_view import TrainView

        views = [
            TrainView(id="train").data_bind(RnnApp.training),
            PredictView(id="predict").data_bind(RnnApp.training),
            RunsView(self.runs_dir, id="runs").data_bind(compare=RnnApp.compare_state),
        ]
        for view in views:
            view.display = False
        await self.query_one(ContentSwitcher).mount_all(views)
        self.views_ready = True
        self.view("build").focus()
        # The torch import starts only now: the importing thread holds the GIL for long stretches and
        # would delay the first frame. The trainer's fork server (a process) imports it alongside.
        warm_up()
        self.load_torch()

    def view(self, name: str) -> Widget:
        return self.query_one(f"#{name}")

    def on_resize(self, event: Resize) -> None:
        narrow = event.size.width < NARROW
        if narrow != self.has_class("-narrow"):  # restyling every widget is not free
            self.set_class(narrow, "-narrow")

    def watch_training(self, state: TrainingState) -> None:
        self.update_chrome()

    def update_chrome(self) -> None:
        state = self.training
        current = self.query_one(ContentSwitcher).current
        name = state.spec.name if state.spec else (self.preview_name or "…")
        self.query_one("#topbar", Static).update(topbar_text(current, state.device, name))
        shown = self.notice or status_line(state)
        self.query_one("#status", Static).update(status_text(shown, bool(self.notice)))

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
        """Notices quote data (preset names, paths, errors): never markup, control characters shown.
        Information goes to the status line (a toast covered the charts); warnings and errors are
        toasts, at the top right."""
        if severity == "information":
            self.notice = message
            if self._notice_timer is not None:
                self._notice_timer.stop()
            self._notice_timer = self.set_timer(NOTICE_S, self._clear_notice)
            self.update_chrome()
            return
        super().notify(sanitize(message), title=sanitize(title), severity=severity, timeout=timeout, markup=False)

    def _clear_notice(self) -> None:
        self.notice = None
        self.update_chrome()

    # ---- loading -----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load_torch(self) -> None:
        """torch takes a second or more to import: the first frame is already on screen."""
        try:
            from rnntui.app.torch_threads import helper_thread
            from rnntui.core.device import describe_device, resolve_device
            from rnntui.core.presets import discover, sorted_entries

            helper_thread()
            device = describe_device(resolve_device("auto"))
            self.post_message(TorchLoaded(sorted_entries(discover()), device))
        except Exception as exc:  # pragma: no cover - shown to the user
            self.post_message(TorchLoaded([], "?", error=str(exc)))

    @on(TorchLoaded)
    def _torch_loaded(self, message: TorchLoaded) -> None:
        if message.error:
            self.training = dataclasses.replace(self.training, phase=Phase.FAILED, error=message.error)
            self.notify(f"could not load torch: {message.error}", severity="error")
            return
        self.preset_entries = message.presets
        self.training = dataclasses.replace(self.training, device=message.device)
        names = [e.name for e in self.preset_entries if e.spec is not None]
        wanted = self.initial_preset if self.initial_preset in names else ("hello" if "hello" in names else None)
        if wanted is None:
            self.training = dataclasses.replace(self.training, phase=Phase.FAILED, error="no presets found")
            return
        self.action_load_preset(wanted)

    def action_load_preset(self, name: str) -> None:
        entry = next((e for e in self.preset_entries if e.name == name), None)
        if entry is None or entry.spec is None:
            self.notify(f"preset {name!r} cannot be loaded: {entry.error if entry else 'unknown'}", severity="error")
            return
        self._start(p.Order(spec=entry.spec, threads=threads_override()), new_lesson=True)

    @on(OpenRun)
    def _open_run(self, message: OpenRun) -> None:
        self._fallback = self.training.spec
        self._start(p.Order(resume=str(message.path), threads=threads_override()), new_lesson=True)
        self.action_view("predict")

    def _start(self, order: p.Order, new_lesson: bool = False) -> None:
        """A new training process (the current one closes first; its run is saved)."""
        lesson = self.training.lesson + (1 if new_lesson else 0)
        self.training = dataclasses.replace(self.training, phase=Phase.BUILDING, waiting=None, lesson=lesson)
        self.link.start(order)

    # ---- replies from the training process ---------------------------------------------------------
    @on(TrainerReplied)
    def _replied(self, message: TrainerReplied) -> None:
        if not self.link.received(message) or not self.views_ready:
            return
        reply = message.reply
        before = self.training
        self.training = reduce(before, reply)
        if isinstance(reply, p.Ready):
            self._fallback = None
            self.predictor.load(Network(reply.spec, reply.task_state, reply.weights))
            self.link.request(p.WantWeights(self.query_one(ContentSwitcher).current == "predict"))
        elif isinstance(reply, p.WeightsCopy):
            self.predictor.weights(reply.weights)
        elif isinstance(reply, p.StartFailed):
            self.notify(reply.reason, severity="error", timeout=10)
            if self._fallback is not None:  # a run that cannot be opened: the network before it comes back
                spec, self._fallback = self._fallback, None
                self._start(p.Order(spec=spec, threads=threads_override()))
        elif isinstance(reply, p.RunFailed):
            self.notify(f"cannot train: {reply.reason}", severity="error", timeout=10)
        elif isinstance(reply, p.Lost):
            self.notify(f"{reply.reason}. Press r to start a new one (same seed).", severity="error", timeout=15)
        elif isinstance(reply, p.Event):
            self._event_notices(reply)
        if self._quitting and isinstance(reply, p.Closed | p.Lost):
            self.exit(0)

    def _event_notices(self, reply: p.Event) -> None:
        from rnntui.core import events as ev

        e = reply.event
        if isinstance(e, ev.Diverged):
            self.notify("training diverged: see the Train view for what to try", severity="error", timeout=8)
        elif isinstance(e, ev.GoalReached):
            self.notify(f"goal reached at step {e.step}")

    # ---- build edits -------------------------------------------------------------------------
    @on(SpecEdited)
    def _spec_edited(self, message: SpecEdited) -> None:
        if self._edit_timer is not None:
            self._edit_timer.stop()
        if message.error:
            self.training = dataclasses.replace(self.training, phase=Phase.BLOCKED, error=message.error)
            return
        if self.training.phase is Phase.BLOCKED:
            built = self.link.running
            phase = Phase.READY if built else Phase.BUILDING
            self.training = dataclasses.replace(self.training, phase=phase, error=None)
        if message.spec != self.training.spec:  # debounced: typing "128" builds once
            self._edit_timer = self.set_timer(0.3, lambda: self._start(p.Order(spec=message.spec)))

    # ---- training ----------------------------------------------------------------------------
    def _refuse(self) -> bool:
        """True (and said why) when no training request can be taken now."""
        s = self.training
        if self.compare_state is not None and not self.compare_state.done:
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
            self.link.request(p.Run(REPORT_EVERY_S, runs))
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
        self._start(p.Order(spec=spec, threads=threads_override()))
        self.notify("weights reset (same seed)")

    # ---- compare -----------------------------------------------------------------------------
    def action_compare(self) -> None:
        """Train the loaded network once per variant of one axis; the Runs view overlays them."""
        if self.comparison is not None and self.compare_state is not None and not self.compare_state.done:
            self.comparison.stop()
            return
        spec = self.training.spec
        if spec is None or self.training.phase in (Phase.BLOCKED, Phase.LOADING, Phase.BUILDING):
            self.notify("cannot compare: " + (self.training.error or "still loading"), severity="error")
            return
        from rnntui.app.widgets.compare_screen import CompareScreen

        self.push_screen(CompareScreen(spec), self._compare_chosen)

    def _compare_chosen(self, vary: str | None) -> None:
        from rnntui.core.compare import parse_vary, variants
        from rnntui.core.errors import SpecError

        spec = self.training.spec
        if not vary or spec is None:
            return
        try:
            items = variants(spec, parse_vary(vary))
        except SpecError as exc:
            self.notify(f"cannot compare: {exc}", severity="error", timeout=8)
            return
        if self.training.phase.in_run:
            self.link.request(p.Stop())
        self.comparison = Comparison([(v.label, v.spec) for v in items], self.runs_dir, self.post_message)
        self.compare_state = self.comparison.first()
        self.action_view("runs")

    @on(CompareReplied)
    def _compare_replied(self, message: CompareReplied) -> None:
        if self.comparison is not None and self.compare_state is not None:
            self.compare_state = self.comparison.received(self.compare_state, message)

    # ---- prediction --------------------------------------------------------------------------
    @on(PredictRequested)
    def _predict_requested(self, message: PredictRequested) -> None:
        self.predictor.feed(Feed(message.prefix, message.top_k))

    @on(PredictorLoaded)
    @on(Predicted)
    @on(PredictFailed)
    def _predicted(self, message: PredictorLoaded | Predicted | PredictFailed) -> None:
        if self.views_ready:
            self.view("predict").show_prediction(message)

    # ---- views and screens -------------------------------------------------------------------
    def action_view(self, name: str) -> None:
        if not self.views_ready:
            return  # a key pressed in the first tenth of a second
        self.query_one(ContentSwitcher).current = name
        self.link.request(p.WantWeights(name == "predict"))
        self.update_chrome()
        if name == "predict":
            self.query_one("#prefix", Input).focus()
        elif name == "runs":
            self.query_one("#runs-table").focus()
        else:
            self.view(name).focus()

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
        from rnntui.app.widgets.presets_screen import PresetsScreen

        current = self.training.spec.name if self.training.spec else None
        self.push_screen(PresetsScreen(self.preset_entries, current), self._preset_chosen)

    def _preset_chosen(self, name: str | None) -> None:
        if name:
            self.action_load_preset(name)

    def action_help(self) -> None:
        from rnntui.app.widgets.help_screen import HelpScreen, help_sections

        spec = self.training.spec
        current = self.query_one(ContentSwitcher).current or "build"
        view = self.view(current) if self.views_ready else None
        sections = help_sections(self, view)
        self.push_screen(HelpScreen(sections, spec.title if spec else "", spec.lesson if spec else ""))

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
        self.set_timer(QUIT_WAIT_S, lambda: self.exit(0))

    def on_unmount(self) -> None:
        """Every way out (q, a crash, the terminal closing) ends here: the run is saved and the
        training process ends (waiting here is the point: the app is leaving)."""
        self.views_ready = False
        self.link.close()
        self.link.join(QUIT_WAIT_S)
        self.predictor.close()
