"""A headless Chromium driven over the DevTools protocol, just enough to test `rnntui serve`.

No selenium or playwright: aiohttp (which textual-serve already brings) speaks the protocol's
websocket. The page's terminal is drawn on a canvas, so instead of reading pixels the page gets a
hook, installed before its own scripts run, that keeps every byte its websocket delivers to the
terminal; that is exactly what the terminal draws.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import selectors
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from typing import IO, Any

import aiohttp

HOOK = """
(() => {
  const Native = window.WebSocket;
  const decoder = new TextDecoder();
  window.__terminalText = "";
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (e) => {
        if (e.data instanceof ArrayBuffer) {
          window.__terminalText += decoder.decode(new Uint8Array(e.data), {stream: true});
        } else if (e.data instanceof Blob) {
          e.data.arrayBuffer().then((b) => {
            window.__terminalText += decoder.decode(new Uint8Array(b), {stream: true});
          });
        }
      });
    }
  };
})();
"""

# Chromium's own background traffic is refused on a closed network; these flags keep it quiet.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
)
ANSI = re.compile(r"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|P[^\x1b]*\x1b\\|[()][0-9A-Za-z]|[=>78])")


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def served_url(stream: IO[bytes], timeout: float) -> str:
    """The URL `rnntui serve` prints once it is about to listen (with its access token)."""
    deadline = time.monotonic() + timeout
    seen = b""
    with selectors.DefaultSelector() as sel:
        sel.register(stream, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
                break
            line = stream.readline()
            if not line:
                break
            seen += line
            found = re.search(rb"serving the app at (http://\S+)", line)
            if found:
                return found.group(1).decode()
    raise AssertionError(f"no URL from rnntui serve in {timeout} s: {seen.decode(errors='replace')}")


def plain(text: str) -> str:
    """Terminal output without escape sequences."""
    return ANSI.sub(" ", text)


class Chromium:
    def __init__(self, executable: str) -> None:
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="rnntui-chromium-")
        self.requests: list[str] = []  # every URL the page asked for (HTTP and WebSocket)
        self.log: list[str] = []  # the browser's own log: CSP violations, failed loads
        self.proc = subprocess.Popen(
            [
                executable,
                *FLAGS,
                f"--remote-debugging-port={self.port}",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)

    async def terminal_text(self, url: str, until: list[str], timeout: float) -> str:
        """Open `url` and return what its terminal received once every string in `until` is there."""
        targets = json.loads(wait_http(f"http://127.0.0.1:{self.port}/json/list", 30))
        page = next(t for t in targets if t.get("type") == "page")
        ids = itertools.count(1)
        async with aiohttp.ClientSession() as http, http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:

            async def call(method: str, **params: Any) -> dict[str, Any]:
                n = next(ids)
                await ws.send_json({"id": n, "method": method, "params": params})
                while True:
                    msg = json.loads((await ws.receive()).data)
                    if msg.get("method") == "Network.requestWillBeSent":
                        self.requests.append(msg["params"]["request"]["url"])
                    elif msg.get("method") == "Network.webSocketCreated":
                        self.requests.append(msg["params"]["url"])
                    elif msg.get("method") == "Log.entryAdded":
                        self.log.append(msg["params"]["entry"].get("text", ""))
                    if msg.get("id") == n:
                        if "error" in msg:
                            raise RuntimeError(f"{method}: {msg['error']}")
                        return msg.get("result", {})

            await call("Page.enable")
            await call("Network.enable")
            await call("Log.enable")
            await call("Page.addScriptToEvaluateOnNewDocument", source=HOOK)
            await call("Page.navigate", url=url)
            deadline = time.monotonic() + timeout
            text = ""
            while time.monotonic() < deadline:
                got = await call("Runtime.evaluate", expression="window.__terminalText || ''", returnByValue=True)
                text = plain(got.get("result", {}).get("value", ""))
                if all(s in text for s in until):
                    # The page's own client marks the body once its terminal has been written to.
                    drawn = await call(
                        "Runtime.evaluate",
                        expression="document.body.classList.contains('-first-byte')",
                        returnByValue=True,
                    )
                    if drawn.get("result", {}).get("value") is True:
                        return text
                await asyncio.sleep(0.5)
            return text


def browser_required() -> bool:
    """CI installs chromium and sets this, so a missing browser fails there instead of skipping."""
    return os.environ.get("RNNTUI_REQUIRE_BROWSER") == "1"
