"""The app's training process, one at a time: start one, send it requests, replace it.

Replacing (a new preset, a Build edit, reset) closes the current process first and starts the new
one when the old has said Closed: the old one checkpoints its run and releases the run's lock, which
the new one may need (opening the run being trained). Nothing here waits: every step is a request
or a reply, and replies reach the App as TrainerReplied messages tagged with their process.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.message import Message

from rnntui.app.messages import TrainerReplied
from rnntui.core import trainer_protocol as p
from rnntui.core.trainer_client import TrainerClient

ENDINGS = (p.Closed, p.Lost, p.StartFailed)  # after these a process sends nothing more


class TrainingLink:
    def __init__(self, post: Callable[[Message], object]) -> None:
        self.post = post
        self.client: TrainerClient | None = None
        self.current = 0  # the id of the current process (replies of others are old news)
        self.running = False  # the current process is up (or starting) and has not ended
        self._next: p.Order | None = None  # to start once the current one has closed

    def start(self, order: p.Order) -> None:
        """Start a process for `order`, after the current one (if any) has closed."""
        if self.running and self.client is not None:
            self._next = order
            self.client.close()
            return
        self._launch(order)

    def request(self, cmd: p.Command) -> None:
        if self.running and self.client is not None:
            self.client.request(cmd)

    def close(self) -> None:
        self._next = None
        if self.running and self.client is not None:
            self.client.close()

    def received(self, message: TrainerReplied) -> bool:
        """Book-keeping for a reply; True when it is the current process's and its state matters."""
        ended = isinstance(message.reply, ENDINGS)
        if message.client != self.current:
            return False
        if self._next is not None and not ended:
            return False  # it is closing to be replaced: its last steps and pauses are not the new state
        if ended:
            self.running = False
            if self._next is not None:
                order, self._next = self._next, None
                self._launch(order)
                return False  # the next process is starting: the old one's ending is no news
        return True

    def _launch(self, order: p.Order) -> None:
        self.current += 1
        ident = self.current

        def on_reply(reply: p.Reply) -> None:  # the client's reader thread
            self.post(TrainerReplied(ident, reply))

        self.client = TrainerClient(on_reply)
        self.running = True
        self.client.start(order)
