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
- Sessions: one app process per socket, at most N open; `Sessions` counts them for the page's
  check here and for the socket handler (serve_app.py), which takes a slot before its handshake.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

WILDCARDS = frozenset({"0.0.0.0", "::", ""})
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
    port_text: str | None
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
    if not (port_text.isascii() and port_text.isdigit()) or not 0 < int(port_text) < 65536:
        return None
    return name, int(port_text)


def cap_message(n: int) -> str:
    open_ = "1 session is open" if n == 1 else f"{n} sessions are open"
    return f"rnntui: {open_}, the limit; close a tab or restart with --max-sessions {n + 1}"


class Sessions:
    """The sessions of one server. `open`: a socket with its app process; this is what the cap
    (`limit`) counts, so a closed tab frees its slot at once. `closing`: the socket has closed and
    the app is quitting (killed after a grace, see serve_app.py); at most `limit` of those more, so
    the processes stay bounded (2 x limit) even for a page that opens and closes sockets in a loop.
    A socket that finds no slot waits up to `wait_s` for one: a reloading tab's new socket may
    arrive just before its old one's close."""

    def __init__(self, limit: int, wait_s: float = 5.0) -> None:
        self.limit = limit
        self.wait_s = wait_s
        self.open = 0
        self.closing = 0
        self.waiting = 0  # sockets waiting for a slot
        self._freed = asyncio.Event()

    @property
    def count(self) -> int:
        return self.open + self.closing

    def full(self) -> bool:
        """No room for another tab (what the page checks)."""
        return self.open >= self.limit

    def _no_slot(self) -> bool:
        return self.full() or self.count >= 2 * self.limit

    async def acquire(self) -> Slot | None:
        """A slot, or None when none frees within wait_s. Nothing awaits between the last check
        and the count, so two sockets never take one slot."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_s
        while self._no_slot():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            self.waiting += 1
            try:
                await asyncio.wait_for(self._freed.wait(), remaining)
            except asyncio.TimeoutError:
                return None
            finally:
                self.waiting -= 1
        return Slot(self)

    def changed(self) -> None:
        freed, self._freed = self._freed, asyncio.Event()
        freed.set()  # wakes every waiter once; each checks again, the first takes the slot


class Slot:
    """One session's place in `Sessions`: open, then closing, then released."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions
        self._state: Literal["open", "closing", "released"] = "open"
        sessions.open += 1

    def closing(self) -> None:
        """The socket has closed; the app is quitting. Frees the tab's slot."""
        if self._state == "open":
            self._sessions.open -= 1
            self._sessions.closing += 1
            self._state = "closing"
            self._sessions.changed()

    def release(self) -> None:
        """The app process is gone."""
        self.closing()
        if self._state == "closing":
            self._sessions.closing -= 1
            self._state = "released"
            self._sessions.changed()


def is_reload(request: web.Request) -> bool:
    """Browsers mark a reload (F5, ctrl+shift+R) with these; a new tab or a typed URL sends
    neither. A reloading tab's own socket is still open while its new page is requested."""
    return request.headers.get("Cache-Control", "").lower() in ("max-age=0", "no-cache")


@dataclass
class Guard:
    """The policy of one server, and its sessions (the page checks the cap; the socket takes a slot)."""

    host: str
    token: str | None
    sessions: Sessions

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
        try:  # a cookie or query can carry lone surrogates, which do not encode: a wrong token, not a 500
            return secrets.compare_digest(candidate.encode(), self.token.encode())
        except UnicodeError:
            return False

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
        # Over the cap the page says so (its socket would only show "Session ended"); a reload is
        # let through: its tab's own socket closes as the new page arrives, freeing the slot.
        if route == "index" and self.sessions.full() and not is_reload(request):
            return plain(503, cap_message(self.sessions.limit))
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


def plain(status: int, line: str) -> web.Response:
    """A refusal a person can read in the browser; never cached, never framed."""
    return web.Response(
        status=status,
        text=line + "\n",
        content_type="text/plain",
        headers={
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
        },
    )
