"""`rnntui serve`: the same app in a web browser, through textual-serve.

For people who reach their GPU box through a forwarded port: each browser tab starts its own
`rnntui` process on the server, so a tab is exactly the terminal app. There is no authentication,
which is why the default host is loopback and any other host gets a warning.
"""

from __future__ import annotations

import errno
import shlex
import socket
import sys

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def no_auth_warning(host: str) -> str | None:
    """The warning printed before binding to a non-loopback host, or None on loopback."""
    if host in LOOPBACK:
        return None
    return (
        f"rnntui: warning: serving on {host}, which other machines may reach; there is no "
        "authentication, so anyone who can open the page can run the app (and read your runs). "
        "Prefer the default 127.0.0.1 with an SSH tunnel: ssh -L 8000:localhost:8000 HOST"
    )


def app_command(preset: str | None, runs_dir: str | None) -> str:
    """The shell command textual-serve runs for every browser session."""
    argv = [sys.executable, "-m", "rnntui"]
    if preset:
        argv += ["--preset", preset]
    if runs_dir:
        argv += ["--runs-dir", runs_dir]
    return shlex.join(argv)


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


def serve(host: str, port: int, preset: str | None = None, runs_dir: str | None = None) -> str | None:
    """Serve until ctrl+c. Returns an error message instead of raising for the user's mistakes."""
    if not 0 < port < 65536:
        return f"--port must be between 1 and 65535, got {port}"
    problem = check_port_free(host, port)
    if problem:
        return problem
    warning = no_auth_warning(host)
    if warning:
        sys.stderr.write(warning + "\n")
    from textual_serve.server import Server

    shown = f"[{host}]" if ":" in host else host
    sys.stderr.write(f"rnntui: serving the app at http://{shown}:{port} (ctrl+c stops)\n")
    Server(app_command(preset, runs_dir), host=host, port=port, title="rnntui").serve()
    return None
