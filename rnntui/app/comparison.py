"""Compare in the app: the loaded network once per variant of one setting — same seed, same batches —
each in its own training process, one after another. Driven by replies like the main training
(nothing waits), its progress a small immutable state the Runs view watches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from textual.message import Message

from rnntui.app.messages import CompareReplied
from rnntui.core import events as ev
from rnntui.core import trainer_protocol as p
from rnntui.core.spec import ExperimentSpec
from rnntui.core.threads import threads_override
from rnntui.core.trainer_client import TrainerClient

REPORT_EVERY_S = 0.4


@dataclass(frozen=True)
class CompareState:
    labels: tuple[str, ...]  # one per variant, e.g. "model.cell=gru"
    steps: int  # each variant's target
    index: int = 0  # the variant training now
    step: int = 0
    run_dirs: tuple[str, ...] = ()  # one per variant that has started
    done: bool = False
    stopped: bool = False
    error: str | None = None

    @property
    def line(self) -> str:
        if self.error:
            return f"comparison failed: {self.error}"
        if self.done:
            word = "stopped" if self.stopped else "done"
            return f"comparison {word}: {len(self.run_dirs)} runs overlaid below (same seed and batches)"
        label = self.labels[self.index]
        return f"comparing: {label} ({self.index + 1} of {len(self.labels)}) step {self.step}/{self.steps} · c stops"


class Comparison:
    def __init__(
        self, specs: list[tuple[str, ExperimentSpec]], runs_dir: Path | None, post: Callable[[Message], object]
    ):
        self.specs, self.runs_dir, self.post = specs, runs_dir, post
        self.client: TrainerClient | None = None
        self.stopping = False

    def first(self) -> CompareState:
        self._launch(0)
        return CompareState(tuple(label for label, _ in self.specs), self.specs[0][1].train.steps)

    def stop(self) -> None:
        self.stopping = True
        if self.client is not None:
            self.client.request(p.Stop())

    def close(self) -> None:
        """The app is leaving: the variant training now stops, saves its run and exits."""
        self.stopping = True
        if self.client is not None:
            self.client.close()

    def _launch(self, index: int) -> None:
        def on_reply(reply: p.Reply) -> None:  # the client's reader thread
            self.post(CompareReplied(index, reply))

        self.client = TrainerClient(on_reply)
        self.client.start(p.Order(spec=self.specs[index][1], threads=threads_override()))

    def received(self, state: CompareState, m: CompareReplied) -> CompareState:
        """The comparison after a reply from variant `m.index`'s process."""
        r = m.reply
        if m.index != state.index or state.done:
            return state
        if isinstance(r, p.Ready):
            base = str(self.runs_dir) if self.runs_dir is not None else None
            assert self.client is not None
            self.client.request(p.Run(REPORT_EVERY_S, base))
            if self.stopping:
                self.client.request(p.Stop())
            return state
        if isinstance(r, p.Event) and isinstance(r.event, ev.Started) and r.event.run_dir:
            return replace(state, run_dirs=(*state.run_dirs, r.event.run_dir), step=r.event.step)
        if isinstance(r, p.Event) and isinstance(r.event, ev.Progress) and r.event.points:
            return replace(state, step=r.event.points[-1].step)
        if isinstance(r, p.Idle | p.RunFailed) and self.client is not None:
            self.client.close()
            return replace(state, error=r.reason) if isinstance(r, p.RunFailed) else state
        if isinstance(r, p.StartFailed | p.Lost):
            return replace(state, done=True, error=r.reason)
        if isinstance(r, p.Closed):
            following = state.index + 1
            if self.stopping or following >= len(self.specs) or state.error:
                return replace(state, done=True, stopped=self.stopping)
            self._launch(following)
            return replace(state, index=following, step=0)
        return state
