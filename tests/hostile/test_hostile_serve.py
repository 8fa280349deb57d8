"""Finding 3: `rnntui serve` took orders from any web page. Now it answers only its own page.

Each test drives the real aiohttp app of `rnntui serve` (GuardedServer._make_app) on a free port
with aiohttp's client, pointed at a fast stand-in app (serve_fake_app.py) that records every start;
one test runs the real `rnntui` behind it.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from rnntui import serve_app
from rnntui.cli import main
from rnntui.serve import app_command
from rnntui.serve_app import GuardedServer
from rnntui.serve_guard import Guard, Sessions

FAKE_APP = Path(__file__).with_name("serve_fake_app.py")
TOKEN = "s3cret-token-for-tests"
EVIL = "http://evil.example"


@dataclass
class Served:
    client: TestClient
    guard: Guard
    log_dir: Path

    @property
    def port(self) -> int:
        assert self.client.port is not None
        return self.client.port

    def started(self) -> int:
        """How many app processes the server has started so far."""
        return len(list(self.log_dir.glob("started-*")))

    async def ws(self, headers: dict[str, str] | None = None, query: str = "") -> aiohttp.ClientWebSocketResponse:
        return await self.client.ws_connect("/ws" + query, headers=headers)

    async def login(self) -> None:
        """What a browser does with the printed URL: the page, with the token, once."""
        async with self.client.get(f"/?token={TOKEN}") as r:
            assert r.status == 200, await r.text()


async def eventually(cond: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


@asynccontextmanager
async def serve_with(
    tmp_path: Path, command: str | None = None, token: str | None = TOKEN, max_sessions: int = 2, wait_s: float = 0.3
) -> AsyncIterator[Served]:
    log_dir = tmp_path / "started"
    log_dir.mkdir(exist_ok=True)
    command = command or shlex.join(["exec", sys.executable, str(FAKE_APP), str(log_dir)])
    guard = Guard(host="127.0.0.1", token=token, sessions=Sessions(max_sessions, wait_s=wait_s))
    server = GuardedServer(command, host="127.0.0.1", port=8000, title="rnntui — hello", guard=guard)
    async with TestClient(TestServer(await server._make_app(), host="127.0.0.1")) as client:
        yield Served(client, guard, log_dir)
        # Every session this test opened has ended, its process with it.
        await eventually(lambda: guard.sessions.count == 0)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    async with serve_with(tmp_path) as s:
        yield s


async def test_a_socket_from_another_sites_page_gets_403_and_starts_no_app(served: Served) -> None:
    await served.login()
    for origin in (EVIL, f"http://evil.example:{served.port}", "null", f"http://localhost:{served.port + 1}"):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await served.ws(headers={"Origin": origin})
        assert refused.value.status == 403, origin
    async with served.client.get("/", headers={"Origin": EVIL}) as r:
        assert r.status == 403
    assert served.started() == 0
    ws = await served.ws(headers={"Origin": f"http://127.0.0.1:{served.port}"})  # its own page: fine
    await ws.close()


async def test_a_foreign_host_name_gets_403_dns_rebinding(served: Served) -> None:
    for path in (f"/?token={TOKEN}", "/static/js/textual.js"):
        async with served.client.get(path, headers={"Host": f"evil.example:{served.port}"}) as r:
            assert r.status == 403, path
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await served.ws(headers={"Host": f"evil.example:{served.port}"}, query=f"?token={TOKEN}")
    assert refused.value.status == 403 and served.started() == 0
    # Loopback names on any port pass: that is what `ssh -L 9000:localhost:8000` sends.
    for host in ("localhost:9000", "127.0.0.1:9000", "[::1]:9000", "LOCALHOST"):
        async with served.client.get(f"/?token={TOKEN}", headers={"Host": host}) as r:
            assert r.status == 200, host


def test_which_hosts_a_guard_answers_to() -> None:
    local = Guard(host="127.0.0.1", token=None, sessions=Sessions(1))
    assert not local.host_allowed("10.0.0.5:8000") and not local.host_allowed("localhost.evil.example")
    assert not local.host_allowed("localhost:8000@evil.example") and not local.host_allowed("::1")
    box = Guard(host="gpubox.lan", token=None, sessions=Sessions(1))
    assert box.host_allowed("gpubox.lan:8000") and box.host_allowed("localhost:9000")
    assert not box.host_allowed("evil.example:8000")
    anywhere = Guard(host="0.0.0.0", token=None, sessions=Sessions(1))
    assert anywhere.host_allowed("10.0.0.5:8000") and anywhere.host_allowed("[fe80::1]:8000")
    assert not anywhere.host_allowed("evil.example:8000")  # a name can be rebound; an IP literal cannot


async def test_without_the_token_page_and_socket_get_403(served: Served) -> None:
    for path in ("/", "/?token=wrong", "/download/x", "/nope"):
        async with served.client.get(path) as r:
            assert r.status == 403, path
            assert "open the URL that `rnntui serve` printed in its terminal" in await r.text()
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await served.ws()
    assert refused.value.status == 403
    served.client.session.cookie_jar.update_cookies({f"rnntui_token_{served.port}": "wrong"})
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await served.ws()
    assert served.started() == 0
    async with served.client.get("/static/js/textual.js") as r:  # public assets need no token
        assert r.status == 200


async def test_the_token_in_the_query_becomes_a_strict_cookie_that_opens_the_socket(served: Served) -> None:
    async with served.client.get(f"/?token={TOKEN}") as r:
        assert r.status == 200
        cookie = r.headers["Set-Cookie"]
    assert f"rnntui_token_{served.port}={TOKEN}" in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    async with served.client.get("/") as r:  # a reload: the cookie alone is enough
        assert r.status == 200
    ws = await served.ws(headers={"Origin": f"http://127.0.0.1:{served.port}"})
    msg = await ws.receive(timeout=20)
    assert msg.type == aiohttp.WSMsgType.BINARY and msg.data == b"fake app ready"
    await ws.close()
    assert served.started() == 1


async def test_over_the_cap_page_and_socket_get_503_and_a_closed_socket_frees_its_slot(served: Served) -> None:
    await served.login()
    first, second = await served.ws(), await served.ws()
    await eventually(lambda: served.started() == 2)
    async with served.client.get("/") as r:
        assert r.status == 503
        assert (await r.text()).strip() == (
            "rnntui: 2 sessions are open, the limit; close a tab or restart with --max-sessions 3"
        )
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await served.ws()
    assert refused.value.status == 503 and served.started() == 2
    await first.close()  # a closed tab
    await eventually(lambda: served.guard.sessions.open == 1)
    third = await served.ws()
    await eventually(lambda: served.started() == 3)
    for ws in (second, third):
        await ws.close()


async def test_a_session_whose_app_ignores_quit_is_killed_and_frees_its_slot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve_app, "QUIT_GRACE_S", 0.3)
    async with serve_with(tmp_path, command=ignoring_quit(tmp_path), max_sessions=1) as served:
        await served.login()
        ws = await served.ws()
        await eventually(lambda: served.started() == 1)
        pid = int(next(served.log_dir.glob("started-*")).name.split("-")[1])
        await ws.close()
        await eventually(lambda: served.guard.sessions.count == 0)
        assert not Path(f"/proc/{pid}").exists()  # killed and reaped


def ignoring_quit(tmp_path: Path) -> str:
    return shlex.join(["exec", sys.executable, str(FAKE_APP), str(tmp_path / "started"), "--ignore-quit"])


def pid_of(served: Served, nth: int) -> int:
    """The pid of the nth app process started (0-based, in order of start)."""
    logs = sorted(served.log_dir.glob("started-*"), key=lambda p: p.stat().st_mtime_ns)
    return int(logs[nth].name.split("-")[1])


async def test_an_app_that_writes_after_its_socket_closed_still_exits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # textual-serve stops reading an app's output at the first send to a closed socket: an app
    # still writing then blocks on a full pipe and never exits (a process kept forever).
    monkeypatch.setattr(serve_app, "QUIT_GRACE_S", 60.0)  # no kill within this test: it must exit
    command = shlex.join(["exec", sys.executable, str(FAKE_APP), str(tmp_path / "started"), "--exit-then-draw"])
    async with serve_with(tmp_path, command=command, max_sessions=1) as served:
        await served.login()
        ws = await served.ws()
        while (await ws.receive(timeout=20)).type == aiohttp.WSMsgType.BINARY:
            pass  # until the server closes the socket (the app asked to exit)
        await eventually(lambda: len(list(served.log_dir.glob("ended-*"))) == 1)
        await eventually(lambda: served.guard.sessions.count == 0)


async def test_a_reload_at_the_cap_gets_the_page_and_a_new_socket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve_app, "QUIT_GRACE_S", 1.0)
    async with serve_with(tmp_path, command=ignoring_quit(tmp_path), max_sessions=1, wait_s=10) as served:
        await served.login()
        old = await served.ws()
        await eventually(lambda: served.started() == 1)
        async with served.client.get("/") as r:  # a new tab at the cap
            assert r.status == 503
        async with served.client.get("/", headers={"Cache-Control": "max-age=0"}) as r:  # the tab reloads
            assert r.status == 200
        new = asyncio.ensure_future(served.ws())  # the reloaded page's socket may come first ...
        await eventually(lambda: served.guard.sessions.waiting == 1)
        await old.close()  # ... then the old page goes away: its slot frees at once
        ws = await new
        await eventually(lambda: served.started() == 2)
        old_pid = pid_of(served, 0)
        await eventually(lambda: not Path(f"/proc/{old_pid}").exists())  # the old app is killed, reaped
        await ws.close()


async def test_apps_that_are_still_quitting_are_bounded_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A page that opens and closes sockets in a loop: each closed socket leaves an app quitting.
    monkeypatch.setattr(serve_app, "QUIT_GRACE_S", 3.0)
    async with serve_with(tmp_path, command=ignoring_quit(tmp_path), max_sessions=1, wait_s=30) as served:
        await served.login()
        for n in (1, 2):
            ws = await served.ws()
            await eventually(lambda n=n: served.started() == n)
            await ws.close()
        sessions = served.guard.sessions
        await eventually(lambda: sessions.closing == 2)
        third = asyncio.ensure_future(served.ws())
        await eventually(lambda: sessions.waiting == 1)  # 2 x the cap are alive: no third process yet
        assert served.started() == 2
        ws = await third  # once the first hung app is killed
        assert not Path(f"/proc/{pid_of(served, 0)}").exists()
        await ws.close()


async def test_the_page_is_self_contained_and_built_from_the_request_host(served: Served) -> None:
    async with served.client.get(f"/?token={TOKEN}", headers={"Host": "localhost:9000"}) as r:
        page = await r.text()
        csp = r.headers["Content-Security-Policy"]
    assert "<title>rnntui — hello</title>" in page
    assert re.findall(r"https?://", page) == [] and "googleapis" not in page and "@import" not in page
    assert 'data-session-websocket-url="ws://localhost:9000/ws"' in page
    assert str(served.port) not in page and "127.0.0.1" not in page
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assets = re.findall(r'(?:href|src)="([^"]+)"|url\("([^"]+)"\)', page)
    paths = [a or b for a, b in assets if (a or b) != "data:,"]  # data:, is the empty favicon
    assert paths and all(p.startswith("/static/") for p in paths), paths
    for path in paths:
        async with served.client.get(path) as r:
            assert r.status == 200, path


async def test_static_lists_no_directories(served: Served) -> None:
    await served.login()
    for path in ("/static/", "/static/js/", "/static/fonts"):
        async with served.client.get(path) as r:
            assert r.status in (403, 404), path
            assert "textual.js" not in await r.text() and "Index of" not in await r.text()


def test_no_token_is_refused_off_loopback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--no-token", "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rnntui: error: --no-token is only allowed on a loopback host")
    assert main(["serve", "--max-sessions", "0"]) == 2
    assert capsys.readouterr().err.startswith("rnntui: error: --max-sessions must be 1 or more")


async def test_no_token_on_loopback_opens_without_one_but_keeps_origin_and_host(tmp_path: Path) -> None:
    async with serve_with(tmp_path, token=None) as served:
        async with served.client.get("/") as r:
            assert r.status == 200 and "Set-Cookie" not in r.headers
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await served.ws(headers={"Origin": EVIL})
        async with served.client.get("/", headers={"Host": "evil.example"}) as r:
            assert r.status == 403


def app_processes() -> set[int]:
    """This test process's children (the app sessions textual-serve started), from /proc."""
    me, found = os.getpid(), set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == me:
                found.add(int(entry.name))
    return found


async def test_the_real_app_runs_behind_the_guard_and_ends_with_its_socket(tmp_path: Path) -> None:
    before = app_processes()
    async with serve_with(tmp_path, command=app_command("hello", str(tmp_path / "runs"))) as served:
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await served.ws(headers={"Origin": EVIL}, query=f"?token={TOKEN}")
        assert app_processes() == before
        await served.login()
        ws = await served.ws(headers={"Origin": f"http://127.0.0.1:{served.port}"}, query="?width=120&height=40")
        text = ""
        deadline = time.monotonic() + 120
        while "Predict" not in text:
            assert time.monotonic() < deadline, text[-500:]
            msg = await ws.receive(timeout=120)
            assert msg.type == aiohttp.WSMsgType.BINARY, msg
            text += msg.data.decode(errors="replace")
        assert len(app_processes() - before) == 1
        await ws.close()
        await eventually(lambda: served.guard.sessions.count == 0, timeout=30)
        assert app_processes() == before
