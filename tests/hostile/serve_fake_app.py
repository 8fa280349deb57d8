"""A stand-in for the app behind textual-serve, fast to start: it records that it started, says the
handshake line, sends one data packet, then waits for the "quit" meta packet (or, with
--ignore-quit, for nothing: a hung app).

Usage: python serve_fake_app.py LOG_DIR [--ignore-quit]
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path


def main() -> None:
    log_dir = Path(sys.argv[1])
    ignore_quit = "--ignore-quit" in sys.argv[2:]
    (log_dir / f"started-{os.getpid()}").touch()
    out = sys.stdout.buffer
    payload = b"fake app ready"
    out.write(b"__GANGLION__\n" + b"D" + len(payload).to_bytes(4, "big") + payload)
    out.flush()
    stdin = sys.stdin.buffer
    while True:
        head = stdin.read(5)
        if len(head) < 5:
            break
        body = stdin.read(int.from_bytes(head[1:], "big"))
        if head[:1] == b"M" and json.loads(body).get("type") == "quit" and not ignore_quit:
            return
    if ignore_quit:
        signal.pause()  # hung until killed


if __name__ == "__main__":
    main()
