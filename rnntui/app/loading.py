"""Getting a network to train: the presets menu is read, a preset or a run opens, a Build edit
rebuilds, and the training process's replies become the state (app/state.py: reduce)."""

from __future__ import annotations

import dataclasses
import gc
from pathlib import Path

from textual import on, work

from rnntui.app.app_base import AppBase
from rnntui.app.messages import MenuRead, OpenRun, SpecEdited, TrainerReplied
from rnntui.app.state import Phase, reduce
from rnntui.core import events as ev
from rnntui.core import predictor_protocol as pp
from rnntui.core import trainer_protocol as p
from rnntui.core.spec import ExperimentSpec
from rnntui.core.threads import threads_override

EDIT_DEBOUNCE_S = 0.3  # typing "128" in Build builds once


FULL_GC_EVERY = 100  # young collections between two full ones (Python's default: 10)


def settle_heap() -> None:
    """What is loaded now lives as long as the app (torch, Textual, the views, the presets): out of
    the collector's sight. A full collection walked all of it — 150–280 ms with the event loop
    stopped, measured on the 2-core CI machine while training (tests/test_app_stall.py).

    After a freeze the collector counts almost nothing as long-lived, so its rule "a full
    collection once a quarter more has survived" always held, and every 10th middle collection was
    a full one: three in a 20-second round of keys, 40–45 ms each, on the event loop (measured with
    gc.callbacks). One in 100 keeps them rare; young cycles are still collected as often."""
    gc.freeze()  # (no collection first: that alone stops the loop as long)
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_GC_EVERY)


def only_steps_differ(a: ExperimentSpec, b: ExperimentSpec | None) -> bool:
    if b is None or a == b:
        return False
    return dataclasses.replace(a, train=dataclasses.replace(a.train, steps=b.train.steps)) == b


class Loading(AppBase):
    def start_first(self) -> None:
        """The first network, from the preset file the first frame shows (once): the training
        process reads and validates the file. The presets menu is read once the network is ready
        (load_presets): measured on the 2-core machine under a load of 7, the network was ready in
        3.8 s so, in 5.2 s with the app importing torch from its first frame on, as it once did."""
        if self.first_preset is not None and not self.training_asked:
            self.training_asked = True
            self._start(preset=self.first_preset, new_lesson=True)

    def replay_early_replies(self) -> None:
        """Replies that came before the views were mounted, handled now, in order."""
        early, self._early_replies = self._early_replies, None
        for message in early or ():
            self._replied(message)

    def load_presets(self) -> None:
        """The presets (the menu's), once."""
        if not self.presets_asked:
            self.presets_asked = True
            self.read_menu()

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def read_menu(self) -> None:
        """The presets, each validated against its task class (which imports no torch until it
        makes data: core/lazy_torch.py; this process never imports torch, issue 15)."""
        from rnntui.core.presets import discover, sorted_entries

        try:
            self.post_message(MenuRead(sorted_entries(discover())))
        except Exception as exc:  # pragma: no cover - shown to the user
            self.post_message(MenuRead([], error=f"{type(exc).__name__}: {exc}"))

    @on(MenuRead)
    def _menu_read(self, message: MenuRead) -> None:
        if message.error:
            self.training = dataclasses.replace(self.training, phase=Phase.FAILED, error=message.error)
            self.notify(f"could not read the presets: {message.error}", severity="error")
            return
        self.preset_entries = message.presets
        settle_heap()
        if self.training.spec is not None or self.link.running:
            return  # the first network came from its preset file, and is ready (or being replaced)
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
        self._start(spec=entry.spec, new_lesson=True)

    @on(OpenRun)
    def _open_run(self, message: OpenRun) -> None:
        self._fallback = self.training.spec
        self._start(resume=message.path, new_lesson=True)
        self.action_view("predict")

    def _start(
        self,
        spec: ExperimentSpec | None = None,
        resume: Path | None = None,
        new_lesson: bool = False,
        preset: Path | None = None,
    ) -> None:
        """A new training process for `spec` or the run at `resume` (the current one closes first;
        its run is saved). RNNTUI_TRAIN_THREADS, when set, fixes its thread count."""
        lesson = self.training.lesson + (1 if new_lesson else 0)
        # A new lesson fills the form afresh: the last one's error or waiting edit goes with it.
        form_error = None if new_lesson else self.training.form_error
        if new_lesson and self._edit_timer is not None:
            self._edit_timer.stop()  # an edit typed just before would rebuild the last lesson's network
        self.training = dataclasses.replace(
            self.training, phase=Phase.BUILDING, waiting=None, lesson=lesson, pending=None, form_error=form_error
        )
        where = str(resume) if resume is not None else None
        path = str(preset) if preset is not None else None
        self.link.start(p.Order(spec=spec, resume=where, threads=threads_override(), preset=path))

    # ---- replies from the training process ---------------------------------------------------
    @on(TrainerReplied)
    def _replied(self, message: TrainerReplied) -> None:
        if not self.views_ready and self._early_replies is not None:
            self._early_replies.append(message)  # the first network was quicker than the views
            return
        if not self.link.received(message) or not self.views_ready:
            return
        reply = message.reply
        self.training = reduce(self.training, reply)
        if isinstance(reply, p.Ready | p.StartFailed):
            self.load_presets()  # now, not beside the first network's build (both took longer)
        if isinstance(reply, p.Ready):
            settle_heap()
            self._fallback = None
            self._network = (reply.spec, reply.task_state)  # the predictor's, once the weights come
            self.link.request(p.WantWeights(self.current_view == "predict"))
        elif isinstance(reply, p.WeightsCopy):
            if self._network is not None:  # the first copy, right after Ready
                (spec, task_state), self._network = self._network, None
                self.predictor.request(pp.Network(spec, task_state, reply.weights))
            else:
                self.predictor.request(reply.weights)
        elif isinstance(reply, p.StartFailed):
            self.notify(reply.reason, severity="error", timeout=10)
            if self._fallback is not None:  # a run that cannot be opened: the network before it comes back
                spec, self._fallback = self._fallback, None
                self._start(spec=spec)
        elif isinstance(reply, p.RunFailed):
            self.notify(f"cannot train: {reply.reason}", severity="error", timeout=10)
        elif isinstance(reply, p.Lost):
            self.notify(f"{reply.reason}. Press r to start a new one (same seed).", severity="error", timeout=15)
        elif isinstance(reply, p.Event):
            self._event_notices(reply.event)
        if self._quitting and isinstance(reply, p.Closed | p.Lost):
            self.exit(0)
        elif isinstance(reply, p.Paused | p.Idle):
            self._apply_pending()

    def _event_notices(self, e: ev.Event) -> None:
        if isinstance(e, ev.Diverged):  # (the Train view says what to try: the notice only points there)
            where = "" if self.current_view == "train" else " · 2 shows what to try"
            self.notify(f"training diverged at step {e.step}: weights back to step {e.restored_step}{where}")
        elif isinstance(e, ev.GoalReached):
            self.notify(f"goal reached at step {e.step}")

    # ---- build edits -------------------------------------------------------------------------
    # The form is the user's next network; a run in progress is the network they are watching. An
    # edit never takes the run away unseen: an invalid one is Build's error (it blocks only a new
    # run), and one that needs a new network waits while the run trains, until it pauses or ends
    # (the status line says so; r applies it at once). More or fewer steps apply at once.
    @on(SpecEdited)
    def _spec_edited(self, message: SpecEdited) -> None:
        if self._edit_timer is not None:
            self._edit_timer.stop()
        s = self.training
        if message.error:
            phase = Phase.BLOCKED if s.phase.idle else s.phase  # a run, a build, a failure: theirs
            self.training = dataclasses.replace(s, phase=phase, form_error=message.error, pending=None)
            return
        s = dataclasses.replace(s, form_error=None)
        if s.phase is Phase.BLOCKED:
            s = dataclasses.replace(s, phase=s.idle_phase)
        if message.spec == s.spec or only_steps_differ(message.spec, s.spec):
            # More (or fewer) steps need no new network: the next run trains up to them (an opened
            # run keeps its weights and curves instead of starting again from scratch).
            self.training = dataclasses.replace(s, spec=message.spec, pending=None)
            return
        self.training = s
        spec = message.spec
        self._edit_timer = self.set_timer(EDIT_DEBOUNCE_S, lambda: self._apply_edit(spec))

    def _apply_edit(self, spec: ExperimentSpec) -> None:
        """A new network for the form's spec; while a run trains, once it pauses or ends."""
        s = self.training
        if s.phase is Phase.TRAINING:
            if s.pending is None:
                self.notify("your Build edit applies when you pause (space): a new network, this run saved")
            self.training = dataclasses.replace(s, pending=spec)
            return
        if s.phase is Phase.PAUSED:
            self.notify(f"a new network for your edit: the run paused at step {s.step:,} is saved (4 Runs)")
        self._start(spec=spec)

    def _apply_pending(self) -> None:
        """The run stopped training (paused or ended): the edit that waited for it applies."""
        s = self.training
        if s.pending is None or s.phase is Phase.TRAINING or s.waiting is not None or self._quitting:
            return
        spec, step = s.pending, s.step
        self._start(spec=spec)
        self.notify(f"a new network for your Build edit: the run at step {step:,} is saved (4 Runs)")
