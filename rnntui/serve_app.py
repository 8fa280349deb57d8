"""textual-serve's Server, subclassed: rnntui's own page, guarded routes, sessions that end.

What changes from textual-serve 1.1 and why:
- the aiohttp app gets `Guard.middleware` (origin, host, token, session cap) and a `/static` route
  without directory listing;
- the page is `serve_page/index.html`: nothing from the internet, a `<title>`, and its socket URL
  built from the request's Host (textual-serve uses the configured `public_url`, so a tunnel to
  another local port broke);
- a session whose app ignores "quit" (busy, hung) is killed after a grace period: otherwise the
  closed tab would hold its process and its session slot forever.
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

from rnntui.serve_guard import Guard

log = logging.getLogger("rnntui.serve")

PAGE = Path(__file__).parent / "serve_page" / "index.html"
QUIT_GRACE_S = 5.0  # the app answers "quit" in well under a second; a hung one gets killed after this


class BoundedAppService(AppService):
    """An app session whose stop() always ends, with the process gone."""

    async def stop(self) -> None:
        if self._task is None:
            return
        stopping = asyncio.ensure_future(super().stop())
        try:
            done, _ = await asyncio.wait({stopping}, timeout=QUIT_GRACE_S)
        except asyncio.CancelledError:  # the server is shutting down: no grace left
            self.kill()
            raise
        if not done:
            log.warning("the app did not quit within %.1f s; killing it", QUIT_GRACE_S)
            self.kill()
            await stopping
        if self._process is not None:
            await self._process.wait()  # reaped: the slot frees only once the process is gone

    def kill(self) -> None:
        process = self._process
        if process is not None and process.returncode is None:
            process.kill()


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
                web.get("/ws", self.handle_websocket, name="websocket"),
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

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """textual-serve's handler with a BoundedAppService (its own builds the plain one)."""
        websocket = web.WebSocketResponse(heartbeat=15)
        width = min(max(to_int(request.query.get("width", "80"), 80), 10), 1000)
        height = min(max(to_int(request.query.get("height", "24"), 24), 5), 500)
        app_service: BoundedAppService | None = None
        try:
            await websocket.prepare(request)
            self.sockets.add(websocket)
            app_service = BoundedAppService(
                self.command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,
                download_manager=self.download_manager,
                debug=self.debug,
            )
            await app_service.start(width, height)
            await self._process_messages(websocket, app_service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:  # a malformed message or a broken pipe ends this session only
            log.warning("session ended: %r", error)
        finally:
            self.sockets.discard(websocket)
            if app_service is not None:
                await app_service.stop()
        return websocket
