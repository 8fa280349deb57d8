"""textual-serve's Server, subclassed: rnntui's own page, guarded routes, sessions that end.

What changes from textual-serve 1.1 and why:
- the aiohttp app gets `Guard.middleware` (origin, host, token, session cap) and a `/static` route
  without directory listing;
- the page is `serve_page/index.html`: nothing from the internet, a `<title>`, and its socket URL
  built from the request's Host (textual-serve uses the configured `public_url`, so a tunnel to
  another local port broke);
- each socket holds a slot in `Sessions` (the cap), also when aiohttp cancels its handler because
  the client went away; its app gets "quit" and, if busy or hung, is killed after a grace period
  (textual-serve waits for it forever, and a cancelled handler left the process running);
- ctrl+c closes every socket first instead of waiting out aiohttp's shutdown timeout.
"""

from __future__ import annotations

import asyncio
import html
import logging
from pathlib import Path
from string import Template

from aiohttp import WSCloseCode, web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from rnntui.serve_guard import Guard, Slot, cap_message, plain

log = logging.getLogger("rnntui.serve")

PAGE = Path(__file__).parent / "serve_page" / "index.html"
# The app exits 1.5-3 s after "quit" on a quiet box, 10-12 s on a busy one (measured); a hung one
# is killed after this. Quitting apps hold no tab's slot, so the grace can be generous.
QUIT_GRACE_S = 15.0


class BoundedAppService(AppService):
    """An app session whose stop() always ends, with the process gone."""

    async def stop(self) -> None:
        if self._task is None:
            return
        process = self._process
        stopping = asyncio.ensure_future(self._stop_and_wait())
        try:
            done, _ = await asyncio.wait({stopping}, timeout=QUIT_GRACE_S)
        except asyncio.CancelledError:  # the server is shutting down: no grace left
            self.kill()
            raise
        if not done:
            pid = process.pid if process else None
            log.warning("the app (pid %s) did not quit within %.0f s; killing it", pid, QUIT_GRACE_S)
            self.kill()
            await stopping

    async def _stop_and_wait(self) -> None:
        await super().stop()  # "quit", then its output ends
        if self._process is not None:
            await self._process.wait()  # and it has exited (and is reaped)

    def kill(self) -> None:
        process = self._process
        if process is not None and process.returncode is None:
            process.kill()


async def send(websocket: web.WebSocketResponse, data: bytes | str) -> None:
    """To the browser, or nowhere once it has gone. textual-serve stops reading the app's output
    at the first failed send; the app then blocks on a full pipe and never quits."""
    if websocket.closed:
        return
    try:
        if isinstance(data, bytes):
            await websocket.send_bytes(data)
        else:
            await websocket.send_str(data)
    except ConnectionError:
        pass


class GuardedServer(Server):
    def __init__(self, command: str, *, host: str, port: int, title: str, guard: Guard) -> None:
        super().__init__(command, host=host, port=port, title=title)
        self.guard = guard
        self.page = Template(PAGE.read_text(encoding="utf-8"))
        self.sockets: set[web.WebSocketResponse] = set()

    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self.guard.middleware])
        app.add_routes(
            [
                web.get("/", self.handle_page, name="index"),
                web.get("/ws", self.handle_socket, name="websocket"),
                web.get("/download/{key}", self.handle_download, name="download"),
                web.static("/static", self.statics_path, show_index=False, name="static"),
            ]
        )
        # No on_startup: textual-serve's prints a logo and its public_url, without the token;
        # `serve()` has already printed the one URL that opens the page.
        app.on_shutdown.append(self.close_sockets)
        return app

    async def close_sockets(self, app: web.Application) -> None:
        """On ctrl+c: end every session now (its app quits, or is killed) instead of letting
        aiohttp wait out its shutdown timeout for sockets that never close by themselves."""
        await asyncio.gather(*(ws.close(code=WSCloseCode.GOING_AWAY) for ws in list(self.sockets)))

    def initialize_logging(self) -> None:
        """textual-serve logs through rich to stdout; keep its warnings, drop the per-request noise."""
        logging.basicConfig(level=logging.WARNING, format="rnntui serve: %(message)s")

    async def handle_page(self, request: web.Request) -> web.Response:
        scheme = "wss" if request.secure else "ws"
        # request.host has passed Guard.host_allowed; html.escape keeps it (and the title) inert.
        values = {
            "title": self.title,
            "websocket_url": f"{scheme}://{request.host}/ws",
            "font_size": str(min(max(to_int(request.query.get("fontsize", "16"), 16), 6), 48)),
        }
        text = self.page.substitute({k: html.escape(v) for k, v in values.items()})
        csp = (
            "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            f"font-src 'self'; img-src 'self' data:; connect-src 'self' {scheme}://{request.host}; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        )
        headers = {"Content-Security-Policy": csp, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
        return web.Response(text=text, content_type="text/html", headers=headers)

    async def handle_socket(self, request: web.Request) -> web.StreamResponse:
        """textual-serve's socket handler, in a slot, with a BoundedAppService."""
        slot = await self.guard.sessions.acquire()
        if slot is None:
            return plain(503, cap_message(self.guard.sessions.limit))  # no process started
        # aiohttp cancels a handler whose client has gone away; the session must still stop its
        # app and free its slot, so it runs as its own task and this handler only waits for it.
        return await asyncio.shield(asyncio.ensure_future(self.run_session(request, slot)))

    async def run_session(self, request: web.Request, slot: Slot) -> web.WebSocketResponse:
        websocket = web.WebSocketResponse(heartbeat=15)
        width = min(max(to_int(request.query.get("width", "80"), 80), 10), 1000)
        height = min(max(to_int(request.query.get("height", "24"), 24), 5), 500)
        app_service: BoundedAppService | None = None
        try:
            await websocket.prepare(request)
            self.sockets.add(websocket)
            app_service = BoundedAppService(
                self.command,
                write_bytes=lambda data: send(websocket, data),
                write_str=lambda text: send(websocket, text),
                close=websocket.close,
                download_manager=self.download_manager,
                debug=self.debug,
            )
            await app_service.start(width, height)
            await self._process_messages(websocket, app_service)
        except asyncio.CancelledError:  # only when the server itself shuts down
            await websocket.close()
            raise
        except Exception as error:  # a malformed message or a broken pipe ends this session only
            log.warning("session ended: %r", error)
        finally:
            self.sockets.discard(websocket)
            slot.closing()
            try:
                if app_service is not None:
                    await app_service.stop()
            finally:
                slot.release()
        return websocket
