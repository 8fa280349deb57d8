"""End to end in a real terminal at 80×24: launch rnntui in tmux and drive it like a person would —
train hello to its goal, type HELL and see O first, load doubling from the palette, train it, type
2 4 8 and see 16 first and 16 32 64 as the continuation, open Runs, quit. Every screen captured on
the way is checked for a cut status line or key bar."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
WIDTH, HEIGHT = 80, 24


class Tmux:
    def __init__(self, socket: str, width: int, height: int) -> None:
        self.socket = socket
        self.screens: list[str] = []
        self.run("new-session", "-d", "-s", "S", "-x", str(width), "-y", str(height))
        self.run("set", "-s", "escape-time", "0")

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True).stdout

    def send(self, *keys: str) -> None:
        self.run("send-keys", "-t", "S", *keys)

    def screen(self) -> str:
        shown = self.run("capture-pane", "-p", "-t", "S")
        self.screens.append(shown)
        return shown

    def wait_for(self, check, what: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if check(screen):
                return screen
            time.sleep(0.1)
        # The screens before the last say what led there (a flake here was keys applied out of order).
        last = self.screen()
        earlier: list[str] = []
        for shown in reversed(self.screens):
            if shown != last and shown not in earlier:
                earlier.append(shown)
        history = "".join(f"\n--- a screen before it:\n{shown}" for shown in earlier[:3])
        raise AssertionError(f"{what} never appeared; screen was:\n{last}{history}")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


def status(screen: str) -> str:
    return screen.splitlines()[HEIGHT - 2].strip() if len(screen.splitlines()) >= HEIGHT else ""


def prefix_is(screen: str, text: str) -> bool:
    """The prefix field holds `text` (its label is padded to the width of the line under it)."""
    return any(row.split(None, 1) == ["prefix", text] for row in screen.splitlines())


def first_next_token(screen: str) -> str | None:
    lines = screen.splitlines()
    for i, row in enumerate(lines):
        if row.strip().startswith("next token") and i + 1 < len(lines):
            return lines[i + 1].split()[0] if lines[i + 1].split() else None
    return None


def in_the_prefix(term: Tmux) -> None:
    """Predict is on screen with the prefix field focused (the key bar then offers to leave it)."""
    term.wait_for(lambda s: "next token" in s and "leave field" in s.splitlines()[-1], "the prefix field")


def leave_field(term: Tmux) -> None:
    """Escape, alone, and wait until it took effect: read together with the next key, a terminal
    sends alt+key."""
    term.send("Escape")
    term.wait_for(lambda s: "leave field" not in s.splitlines()[-1], "the field left")


def nothing_cut(screen: str) -> None:
    lines = screen.splitlines()
    if len(lines) < HEIGHT or "rnntui  1 Build" not in lines[0] or not status(screen):
        return  # not the app's main screen (the shell, a modal), or a frame half painted
    assert "4 Runs" in lines[0], lines[0]
    shown = status(screen)
    assert not (shown.endswith("…") and len(shown) >= WIDTH - 2), shown  # cut: as wide as it gets, then "…"
    keys = lines[HEIGHT - 1]
    # A view lists its keys and the palette's; a menu or dialog on top lists its own (esc closes).
    assert ("^p" in keys and ("q" in keys.split() or "esc" in keys.split())) or "esc" in keys.split(), keys


def test_a_first_hour_at_80x24(tmp_path: Path):
    term = Tmux(f"rnntui-e2e-80x24-{os.getpid()}", WIDTH, HEIGHT)  # two suites at once: two servers
    try:
        exe = Path(sys.executable).parent / "rnntui"
        cmd = str(exe) if exe.exists() else f"{sys.executable} -m rnntui"
        term.send(f"RNNTUI_RUNS_DIR={tmp_path} {cmd} ; echo EXIT=$?", "Enter")
        term.wait_for(lambda s: status(s).startswith("ready"), "ready")
        term.send("2")
        term.send("Space")
        term.wait_for(lambda s: "goal reached" in s, "hello's goal", timeout=120)
        term.send("3")
        in_the_prefix(term)
        term.send(*["BSpace"] * 4)  # the example HELL is typed already: type it again, as a person would
        term.send("H", "E", "L", "L")
        term.wait_for(lambda s: prefix_is(s, "HELL") and first_next_token(s) == "O", "O first after HELL")

        leave_field(term)
        term.send("C-p")
        term.wait_for(lambda s: "Search for commands" in s, "the palette")
        term.send(*"load preset: doubling")
        term.wait_for(lambda s: "Load preset: doubling" in s, "the doubling command")
        term.send("Enter")
        term.wait_for(lambda s: "doubling · " in s.splitlines()[0] and status(s).startswith("ready"), "doubling")
        term.send("2")
        term.send("Space")
        term.wait_for(lambda s: "goal reached" in s, "doubling's goal", timeout=120)
        term.wait_for(lambda s: status(s).startswith("goal reached") or "finished" in status(s), "the run's end", 120)
        term.send("3")
        in_the_prefix(term)
        term.send(*["BSpace"] * 5)
        term.send(*"2 4 8")
        term.wait_for(lambda s: prefix_is(s, "2 4 8") and first_next_token(s) == "16", "16 first after 2 4 8")
        # (the continuation follows the next token: it is computed after the key's answer is drawn)
        term.wait_for(lambda s: "2 4 8 16 32 64" in " ".join(s.split()), "the continuation 16 32 64")

        leave_field(term)
        term.send("4")
        term.wait_for(lambda s: "doubling" in s and "hello" in s.split("\n", 2)[2], "both runs in Runs")
        term.send("q")
        term.wait_for(lambda s: "EXIT=0" in s, "a clean exit", timeout=30)
        for screen in term.screens:
            nothing_cut(screen)
    finally:
        term.close()
