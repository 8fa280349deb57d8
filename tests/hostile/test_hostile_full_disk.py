"""Finding 14: a disk that fills up while a run saves. Not a mock: the process runs under a real limit
on the size of a file it writes (RLIMIT_FSIZE), which the kernel enforces like a full disk (the write
that crosses it fails, EFBIG). torch.save's zip writer turned that into `RuntimeError: [enforce fail
at inline_container.cc:672] unexpected pos …`: a 48-line traceback and exit 1 from the CLI, and a
lost training process ("training failed: RuntimeError …") in the app."""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hostile_util import one_error
from rnntui.core.fileio import Sink, atomic_write
from rnntui.core.run_list import list_runs
from rnntui.core.runs import RunDir

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_FSIZE as Linux enforces it")

# hello's checkpoint is ~280 KB and its metrics for 50 steps ~15 KB: the save is what crosses this.
FILE_LIMIT = 100_000


def limited(*args: str, limit: int = FILE_LIMIT) -> subprocess.CompletedProcess[str]:
    """`python ARGS` whose files cannot grow past `limit` bytes (Python ignores SIGXFSZ: writes fail)."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        stdin=subprocess.DEVNULL,
        preexec_fn=cap,
    )


def folders(base: Path) -> list[Path]:
    return sorted(p for p in base.iterdir() if p.is_dir()) if base.exists() else []


def consistent(folder: Path) -> None:
    """No temporary file left, run.json whole, and the run listed (as interrupted, not unreadable)."""
    assert not list(folder.glob(".*.tmp")), list(folder.iterdir())
    json.loads((folder / "run.json").read_text())
    (summary,) = [s for s in list_runs(folder.parent)[0] if s.path == folder]
    assert summary.status == "interrupted", summary


def test_a_full_disk_while_train_saves_is_exit_2_with_one_line(tmp_path) -> None:
    done = limited("-m", "rnntui", "train", "hello", "--steps", "50", "--runs-dir", str(tmp_path))
    line = one_error(done.returncode, done.stderr)
    assert "checkpoint" in line and "file too large" in line
    (folder,) = folders(tmp_path)
    consistent(folder)
    assert not (folder / "checkpoint.pt").exists()


def test_a_full_disk_while_resume_saves_keeps_the_last_complete_checkpoint(tmp_path) -> None:
    trained = limited("-m", "rnntui", "train", "hello", "--steps", "20", "--runs-dir", str(tmp_path), limit=10**9)
    assert trained.returncode == 0, trained.stderr
    (folder,) = folders(tmp_path)
    before = (folder / "checkpoint.pt").read_bytes()
    done = limited("-m", "rnntui", "resume", str(folder), "--steps", "40")
    line = one_error(done.returncode, done.stderr)
    assert "file too large" in line and "last saved one is kept" in line
    consistent(folder)
    assert (folder / "checkpoint.pt").read_bytes() == before
    assert RunDir(folder).load().step == 20  # it loads, every tensor checked against its spec


def test_a_full_disk_while_compare_saves_is_exit_2_with_one_line(tmp_path) -> None:
    args = ["compare", "hello", "--cells", "lstm,gru", "--steps", "20", "--runs-dir", str(tmp_path)]
    done = limited("-m", "rnntui", *args)
    one_error(done.returncode, done.stderr)
    (folder,) = folders(tmp_path)  # the first variant failed: the second never started
    consistent(folder)


APP_CHILD = """
import json, queue, sys
from rnntui.core import trainer_protocol as p
from rnntui.core.presets import resolve
from rnntui.core.spec import set_value
from rnntui.core.trainer_client import TrainerClient

replies = queue.Queue()
seen = []
def until(kind):
    while True:
        reply = replies.get(timeout=120)
        seen.append(reply)
        if isinstance(reply, kind):
            return reply

client = TrainerClient(replies.put)
spec = set_value(set_value(resolve("hello"), "train", "device", "cpu"), "train", "steps", 50)
client.start(p.Order(spec=spec))
until(p.Ready)
client.request(p.Run(0.1, sys.argv[1]))
failed = until(p.RunFailed)
idle = until(p.Idle)
client.request(p.Step())  # the process lives on: it still answers
stepped = until(p.Stepped)
client.close()
until(p.Closed)
kinds = [type(r).__name__ for r in seen]
print(json.dumps({"reason": failed.reason, "idle": idle.step, "stepped": stepped.step, "kinds": kinds}))
"""


def test_a_full_disk_in_the_apps_training_process_is_one_line_and_it_lives_on(tmp_path) -> None:
    runs = tmp_path / "runs"
    # -c: no main module for the fork server's children to import again
    done = limited("-c", textwrap.dedent(APP_CHILD), str(runs))
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert "Crashed" not in got["kinds"] and "Lost" not in got["kinds"], got
    reason = got["reason"]
    assert len(reason.splitlines()) == 1 and "file too large" in reason and "enforce" not in reason, reason
    assert got["stepped"] == got["idle"] + 1
    (folder,) = folders(runs)
    consistent(folder)


def test_the_atomic_writer_raises_the_os_error_a_writer_swallowed_or_replaced(tmp_path, monkeypatch) -> None:
    """torch.save catches the OSError of a failed write and raises its own RuntimeError, or none."""
    target = tmp_path / "f"
    target.write_bytes(b"old")

    def replaced(fh: Sink) -> None:
        try:
            fh.write(b"x")
        except OSError:
            raise RuntimeError("unexpected pos") from None

    def swallowed(fh: Sink) -> None:
        with contextlib.suppress(OSError):
            fh.write(b"x")

    class Full(io.FileIO):
        def write(self, data: object) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fdopen", lambda fd, mode: Full(fd, "wb"))
    for writer in (replaced, swallowed):
        with pytest.raises(OSError) as caught:
            atomic_write(target, writer)
        assert caught.value.errno == errno.ENOSPC
        assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["f"]
