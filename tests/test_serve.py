"""`rnntui serve`: loopback by default, a warning elsewhere, and the app really shows in a browser."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys

import pytest
from browser import Chromium, browser_required, find_chromium, free_port, served_url, wait_http

from rnntui.cli import main
from rnntui.serve import app_command, network_warning


def test_loopback_needs_no_warning_and_other_hosts_get_one() -> None:
    for host in ("127.0.0.1", "localhost", "::1"):
        assert network_warning(host) is None
    warning = network_warning("0.0.0.0")
    assert warning is not None and "token" in warning and "plain HTTP" in warning and "ssh -L" in warning


def test_each_browser_session_runs_the_app_with_the_chosen_preset() -> None:
    cmd = app_command("hello", "/tmp/my runs")
    assert cmd.startswith(f"exec {sys.executable}") and "-m rnntui --preset hello --runs-dir '/tmp/my runs'" in cmd


def test_a_busy_port_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"port {port} on 127.0.0.1 is already in use" in err and "--port" in err
    assert main(["serve", "--port", "70000"]) == 2
    assert "between 1 and 65535" in capsys.readouterr().err


def test_the_app_shows_in_a_real_headless_browser(tmp_path: os.PathLike[str]) -> None:
    executable = find_chromium()
    if executable is None:
        if browser_required():
            pytest.fail("RNNTUI_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install chromium)")
        pytest.skip("no chromium on PATH (apt-get install chromium)")
    port = free_port()
    env = {**os.environ, "RNNTUI_RUNS_DIR": str(tmp_path)}
    server = subprocess.Popen(
        [sys.executable, "-m", "rnntui", "--preset", "hello", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    browser = Chromium(executable)
    try:
        assert server.stdout is not None
        # The one URL that opens the page: it carries the access token (`?token=`).
        url = served_url(server.stdout, timeout=30)
        assert url.startswith(f"http://127.0.0.1:{port}/?token="), url
        page = wait_http(url, timeout=30)
        assert "textual-terminal" in page
        # The app's own words: its view tabs and the loaded preset's title.
        wanted = ["Build", "Predict", "after HELL comes O"]
        text = asyncio.run(browser.terminal_text(url, wanted, timeout=120))
        assert all(w in text for w in wanted), text[-2000:]
        # Nothing from the internet, nothing blocked by the page's own Content-Security-Policy.
        assert browser.requests and all(
            u.startswith((f"http://127.0.0.1:{port}/", f"ws://127.0.0.1:{port}/")) for u in browser.requests
        ), browser.requests
        assert not [line for line in browser.log if "Content Security Policy" in line], browser.log
    finally:
        browser.close()
        server.terminate()
        server.communicate(timeout=20)
