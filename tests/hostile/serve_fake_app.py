"""A stand-in for the app behind textual-serve, fast to start: it records that it started, says the
handshake line, sends one data packet, then waits for the "quit" meta packet and records that it
ended.

--ignore-quit: a hung app, it waits to be killed.
--exit-then-draw: it asks to exit (the server closes the socket), then, like an app restoring its
  screen, writes 1 MB more (more than any pipe buffers) before it records that it ended.

Usage: python serve_fake_app.py LOG_DIR [--ignore-quit | --exit-then-draw]
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path


def packet(kind: bytes, payload: bytes) -> bytes:
    return kind + len(payload).to_bytes(4, "big") + payload


def main() -> None:
    log_dir = Path(sys.argv[1])
    mode = sys.argv[2] if len(sys.argv) > 2 else ""
    (log_dir / f"started-{os.getpid()}").touch()
    out = sys.stdout.buffer
    out.write(b"__GANGLION__\n" + packet(b"D", b"fake app ready"))
    out.flush()
    if mode == "--exit-then-draw":
        out.write(packet(b"M", json.dumps({"type": "exit"}).encode()))
        for _ in range(100):
            out.write(packet(b"D", b"y" * 10_000))  # blocks while nobody reads the pipe
        out.flush()
        (log_dir / f"ended-{os.getpid()}").touch()
        return
    stdin = sys.stdin.buffer
    while True:
        head = stdin.read(5)
        if len(head) < 5:
            break
        body = stdin.read(int.from_bytes(head[1:], "big"))
        if head[:1] == b"M" and json.loads(body).get("type") == "quit" and mode != "--ignore-quit":
            break
    if mode == "--ignore-quit":
        signal.pause()  # hung until killed
    (log_dir / f"ended-{os.getpid()}").touch()


if __name__ == "__main__":
    main()
