"""`rnntui serve`: the same app in a web browser, through textual-serve.

For people who reach their GPU box through a forwarded port: each browser tab starts its own
`rnntui` process on the server, so a tab is exactly the terminal app. textual-serve itself trusts
every request; `serve_guard` decides who may open the page and its socket (same origin, the printed
token, a session cap) and this module serves rnntui's own self-contained page. The installed
package is subclassed, never patched.
"""

from __future__ import annotations

import errno
import secrets
import shlex
import socket
import sys

from rnntui.serve_guard import is_loopback

DEFAULT_MAX_SESSIONS = 2


def network_warning(host: str, port: int = 8000) -> str | None:
    """The warning printed before binding to a non-loopback host, or None on loopback."""
    if is_loopback(host):
        return None
    return (
        f"rnntui: warning: serving on {host}, which other machines may reach; the page needs the token "
        "printed below, but the traffic (token included) is plain HTTP that anyone on the way can read. "
        f"Prefer the default 127.0.0.1 with an SSH tunnel: ssh -L {port}:localhost:{port} HOST"
    )


def app_command(preset: str | None, runs_dir: str | None) -> str:
    """The shell command textual-serve runs for every browser session. `exec` makes the app the
    process textual-serve holds (not a shell around it), so stopping a session can kill it."""
    argv = [sys.executable, "-m", "rnntui"]
    if preset:
        argv += ["--preset", preset]
    if runs_dir:
        argv += ["--runs-dir", runs_dir]
    return "exec " + shlex.join(argv)


def check_port_free(host: str, port: int) -> str | None:
    """A message when host:port cannot be bound (aiohttp would raise deep inside its loop)."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return f"port {port} on {host} is already in use; pick another with --port"
        return f"cannot listen on {host}:{port} ({exc.strerror or exc}); check --host and --port"
    return None


def check_options(host: str, port: int, max_sessions: int, token: bool) -> str | None:
    """The user's mistakes, found before anything is bound or printed."""
    if not 0 < port < 65536:
        return f"--port must be between 1 and 65535, got {port}"
    if max_sessions < 1:
        return f"--max-sessions must be 1 or more, got {max_sessions}"
    if not token and not is_loopback(host):
        return (
            f"--no-token is only allowed on a loopback host (127.0.0.1, localhost, ::1): anyone who can "
            f"reach {host} could drive the app"
        )
    return None


def serve(
    host: str,
    port: int,
    preset: str | None = None,
    runs_dir: str | None = None,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
    token: bool = True,
) -> str | None:
    """Serve until ctrl+c. Returns an error message instead of raising for the user's mistakes."""
    problem = check_options(host, port, max_sessions, token) or check_port_free(host, port)
    if problem:
        return problem
    warning = network_warning(host, port)
    if warning:
        sys.stderr.write(warning + "\n")
    from rnntui.serve_app import GuardedServer
    from rnntui.serve_guard import Guard, Sessions

    secret = secrets.token_urlsafe(32) if token else None
    guard = Guard(host=host, token=secret, sessions=Sessions(max_sessions))
    title = f"rnntui — {preset}" if preset else "rnntui"
    server = GuardedServer(app_command(preset, runs_dir), host=host, port=port, title=title, guard=guard)
    shown = f"[{host}]" if ":" in host else host
    query = f"?token={secret}" if secret else ""
    sys.stderr.write(f"rnntui: serving the app at http://{shown}:{port}/{query} (ctrl+c stops)\n")
    sys.stderr.flush()
    server.serve()
    return None
