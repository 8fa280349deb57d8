"""One writer per run folder: `run.lock`, held by the process that trains the run.

Two writers of one run (two `rnntui resume`s, or the app and the CLI) would append the same steps
twice to metrics.jsonl and overwrite each other's checkpoints. The writer holds an exclusive
`flock` on `run.lock`, and writes its pid into it so a second writer can say who has it ("run in use
by pid N"). The kernel drops a flock when its process ends, however it ends (even SIGKILL), so a dead
owner's lock is simply taken over, and a recycled pid can never make a stale lock look alive.
Taking the lock is one atomic system call; on release the file is removed while still locked, and a
writer that locked a file just removed (its inode is no longer the folder's run.lock) tries again.

Who holds it: the CLI's trainer (`train`, `resume`, `compare`); in the app, the trainer child process.
Windows has no flock: there the lock is a file created with O_EXCL, taken over when its pid is gone.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from rnntui.core.errors import RunError
from rnntui.core.fileio import os_reason

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

LOCK = "run.lock"


class RunInUse(RunError):
    """Another process is writing this run."""

    def __init__(self, folder: Path, pid: int | None) -> None:
        who = f"pid {pid}" if pid else "another process"
        super().__init__(
            f"run {folder.name} in use by {who}: another rnntui is training it; wait for it to end or stop it"
        )
        self.pid = pid


def _pid_in(text: bytes) -> int | None:
    try:
        pid = json.loads(text.decode("utf-8", "replace") or "{}").get("pid")
    except (ValueError, AttributeError):
        return None
    return pid if isinstance(pid, int) and not isinstance(pid, bool) and pid > 0 else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


class RunLock:
    def __init__(self, path: Path, fd: int) -> None:
        self.path, self.fd = path, fd

    @classmethod
    def acquire(cls, folder: Path) -> RunLock:
        """Take the run's lock or raise RunInUse (or RunError when the folder cannot hold one)."""
        path = Path(folder) / LOCK
        if not Path(folder).is_dir():
            raise RunError(f"run directory {str(folder)!r} does not exist")
        for _ in range(10):
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
            except OSError as exc:
                raise RunError(f"cannot lock the run {folder}: {os_reason(exc)}") from None
            if fcntl is None:
                os.close(fd)
                return cls._acquire_excl(path, folder)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # held through another open file: a live writer
                pid = None
                with contextlib.suppress(OSError):
                    pid = _pid_in(os.pread(fd, 256, 0))
                os.close(fd)
                raise RunInUse(Path(folder), pid) from None
            try:
                same = os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
            except OSError:
                same = False
            if not same:  # locked a lock file its owner removed as it released it
                os.close(fd)
                continue
            try:
                os.ftruncate(fd, 0)
                os.pwrite(fd, json.dumps({"pid": os.getpid()}).encode(), 0)
            except OSError as exc:
                os.close(fd)
                raise RunError(f"cannot lock the run {folder}: {os_reason(exc)}") from None
            return cls(path, fd)
        raise RunError(f"cannot lock the run {folder}: its lock file keeps changing")

    @classmethod
    def _acquire_excl(cls, path: Path, folder: Path) -> RunLock:
        for _ in range(2):
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                pid = _pid_in(path.read_bytes()) if path.is_file() else None
                if pid is not None and _alive(pid):
                    raise RunInUse(Path(folder), pid) from None
                with contextlib.suppress(OSError):
                    path.unlink()  # a dead owner's lock
                continue
            os.write(fd, json.dumps({"pid": os.getpid()}).encode())
            return cls(path, fd)
        raise RunError(f"cannot lock the run {folder}")

    def release(self) -> None:
        if self.fd < 0:
            return
        try:
            with contextlib.suppress(OSError):
                if os.stat(self.path, follow_symlinks=False).st_ino == os.fstat(self.fd).st_ino:
                    os.unlink(self.path)  # while still locked: see the module docstring
        finally:
            os.close(self.fd)
            self.fd = -1

    def __del__(self) -> None:  # a trainer dropped without close(): the descriptor goes, so the lock does
        with contextlib.suppress(Exception):
            self.release()


def holder(folder: Path) -> int | None:
    """The pid of a live writer of the run, or None. Only reads: it never takes the lock itself
    (a listing must not make a writer starting at that moment fail)."""
    path = Path(folder) / LOCK
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        pid = _pid_in(os.read(fd, 256))
    except OSError:
        pid = None
    finally:
        os.close(fd)
    return pid if pid is not None and _alive(pid) else None
