"""Who `rnntui serve` answers: its own page, in a browser that holds the token, up to N sessions.

textual-serve trusts every request: any web page open in the user's browser could open its socket
to 127.0.0.1, drive the app and start processes without end. This middleware decides before any
handler runs (so a refused socket never starts a process):

- Host: only names this server answers to. A DNS-rebinding page reaches us as `evil.example:PORT`;
  loopback names (any port: `ssh -L 9000:localhost:8000` keeps the remote side's names but not its
  port), the configured host, and for a wildcard bind IP literals (a rebinding needs a name) pass.
- Origin: when a browser sends one it must equal Host; cross-site sockets always carry theirs.
- Token: `?token=` once, then an HttpOnly SameSite=Strict cookie that the server sets, so the
  page's own socket and reloads work and no other site's request ever carries it.
- Sessions: one socket is one app process; over the cap the page and the socket get 503.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

WILDCARDS = frozenset({"0.0.0.0", "::", ""})
# Routes that start an app process (the socket) or lead to one (the page): both honour the cap.
SESSION_ROUTES = frozenset({"index", "websocket"})
TOKEN_HELP = (
    "rnntui: this page needs its access token: open the URL that `rnntui serve` printed in its terminal "
    "(it ends in ?token=...)"
)


def is_loopback(host: str) -> bool:
    """True for names and addresses that only this machine can reach (the `--no-token` rule)."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def split_host(value: str) -> tuple[str, int | None] | None:
    """`name[:port]` or `[v6][:port]` → (lower-case name without brackets, port); None if malformed."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        name, rest = value[1:end], value[end + 1 :]
        if rest and not rest.startswith(":"):
            return None
        port_text = rest[1:] if rest else None
    else:
        name, sep, port_text = value.partition(":")
        if not sep:
            port_text = None
        elif ":" in port_text:
            return None  # a bare IPv6 address: browsers always bracket it in Host and Origin
    if not name or any(ch in name for ch in "/\\@?#% "):
        return None
    if port_text is None:
        return name, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        return None
    return name, int(port_text)


def cap_message(n: int) -> str:
    open_ = "1 session is open" if n == 1 else f"{n} sessions are open"
    return f"rnntui: {open_}, the limit; close a tab or restart with --max-sessions {n + 1}"


@dataclass
class Guard:
    """The policy and the live session count of one server."""

    host: str
    token: str | None
    max_sessions: int
    sessions: int = field(default=0, init=False)

    @staticmethod
    def cookie_name(host_header: str) -> str:
        """Browsers share cookies across the ports of one host: two servers (or tunnels) on
        localhost:8000 and localhost:9000 each keep their own token under a name with the port."""
        parsed = split_host(host_header)
        return f"rnntui_token_{parsed[1] if parsed and parsed[1] else 80}"

    def host_allowed(self, host_header: str) -> bool:
        parsed = split_host(host_header)
        if parsed is None:
            return False
        name, _port = parsed
        configured = self.host.strip("[]").lower()
        if is_loopback(name) or name == configured:
            return True
        # Bound to every interface: the box's own addresses are many and change; an IP literal
        # cannot be rebound, so it is as safe as a loopback name. Names other than ours are not.
        return configured in WILDCARDS and is_ip_literal(name)

    def origin_allowed(self, origin: str | None, host_header: str, secure: bool) -> bool:
        """No Origin: not a cross-site browser request (they always send one on sockets and
        cross-origin fetches; a top-level navigation carries none). Otherwise host:port must match."""
        if origin is None:
            return True
        scheme, sep, rest = origin.partition("://")
        if not sep or scheme.lower() not in ("http", "https"):
            return False  # "null" (sandboxed frames, file://) and anything odd
        theirs = split_host(rest)
        ours = split_host(host_header)
        if theirs is None or ours is None:
            return False
        default_theirs = 443 if scheme.lower() == "https" else 80
        default_ours = 443 if secure else 80
        return (theirs[0], theirs[1] or default_theirs) == (ours[0], ours[1] or default_ours)

    def token_ok(self, candidate: str | None) -> bool:
        if self.token is None:
            return True
        if candidate is None:
            return False
        return secrets.compare_digest(candidate.encode(), self.token.encode())

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self.host_allowed(request.host):
            return plain(403, "rnntui: refused: this server does not answer to that host name")
        if not self.origin_allowed(request.headers.get("Origin"), request.host, request.secure):
            return plain(403, "rnntui: refused: a request from another site's page")
        query_token = request.query.get("token")
        from_query = self.token is not None and query_token is not None and self.token_ok(query_token)
        route = request.match_info.route.name
        # Static assets are textual-serve's own public files: the page needs them before any check
        # could matter, and they hold nothing of the user's. Everything else needs the token.
        if self.token is not None and route != "static":
            if not (from_query or self.token_ok(request.cookies.get(self.cookie_name(request.host)))):
                return plain(403, TOKEN_HELP)
        if route in SESSION_ROUTES and self.sessions >= self.max_sessions:
            return plain(503, cap_message(self.max_sessions))
        if route == "websocket":
            return await self.session(handler, request)
        response = await handler(request)
        if from_query and self.token is not None and not response.prepared:
            response.set_cookie(
                self.cookie_name(request.host),
                self.token,
                httponly=True,
                samesite="Strict",
                path="/",
                secure=request.secure,
            )
        return response

    async def session(self, handler: Handler, request: web.Request) -> web.StreamResponse:
        """Run one socket's handler in a slot, counted from before the handshake (no await between
        the check and the count) until the handler has stopped the app process. aiohttp cancels
        a handler when its client goes away, which would free the slot while the process lives
        on: the handler runs as its own task, shielded, and frees the slot when it ends."""
        self.sessions += 1
        task = asyncio.ensure_future(handler(request))
        task.add_done_callback(self._release)
        return await asyncio.shield(task)

    def _release(self, _task: asyncio.Future[web.StreamResponse]) -> None:
        self.sessions -= 1


def plain(status: int, line: str) -> web.Response:
    """A refusal a person can read in the browser; never cached, never framed."""
    return web.Response(
        status=status,
        text=line + "\n",
        content_type="text/plain",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )
