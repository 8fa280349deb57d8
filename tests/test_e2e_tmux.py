"""End to end in a real terminal: launch rnntui in tmux and drive it like a person would."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    def __init__(self, socket: str, width: int, height: int) -> None:
        self.socket = socket
        self.run("new-session", "-d", "-s", "S", "-x", str(width), "-y", str(height))
        self.run("set", "-s", "escape-time", "0")

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True).stdout

    def send(self, *keys: str) -> None:
        self.run("send-keys", "-t", "S", *keys)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "S")

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; screen was:\n{self.screen()}")

    def wait_gone(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text in self.screen():
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} did not go away:\n{self.screen()}")
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_hello_walkthrough(tmp_path: Path, size):
    term = Tmux(f"rnntui-e2e-{size[0]}", *size)
    try:
        exe = Path(sys.executable).parent / "rnntui"
        cmd = str(exe) if exe.exists() else f"{sys.executable} -m rnntui"
        term.send(f"RNNTUI_RUNS_DIR={tmp_path} {cmd} ; echo EXIT=$?", "Enter")
        term.wait_for("· ready")
        term.send("p")
        term.wait_for("enter to load")
        term.send("Home", "Enter")  # hello is the first preset
        term.wait_gone("enter to load")
        term.wait_for("· ready")
        term.send("2")
        term.wait_for("loss")
        term.send("Space")
        term.wait_for("goal reached", timeout=120)
        term.send("3")
        term.wait_for("next token")
        term.send("H", "E", "L", "L")
        screen = term.wait_for("HELL")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            lines = [line for line in screen.splitlines() if "next token" in line]
            below = screen.splitlines()[screen.splitlines().index(lines[0]) + 1] if lines else ""
            if below.split("│")[1].split()[0:1] == ["O"] if "│" in below else below.split()[:1] == ["O"]:
                break
            time.sleep(0.2)
            screen = term.screen()
        else:
            raise AssertionError(f"O is not the top prediction:\n{screen}")
        term.send("Escape")  # sent alone: escape then q in one write reads as alt+q
        time.sleep(0.5)
        term.send("q")
        term.wait_for("EXIT=0", timeout=30)
    finally:
        term.close()
