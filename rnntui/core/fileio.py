"""Reading files that may be someone else's, and replacing files without ever leaving half of one.

`read_regular()` is the one way rnntui reads a preset, a data file or a run's small files: only a
regular file (a symlink to one is fine), opened with O_NONBLOCK so a FIFO cannot hang the open, checked
with fstat on the open descriptor (so what is checked is what is read: /dev/zero, a FIFO, a socket or
a directory are refused) and read up to a cap, so a file that is larger than it said, or grows while
it is read, cannot fill memory.

`atomic_write()` is the one way rnntui replaces a file: a temporary file in the same folder, flushed
and fsynced, then renamed over the old one. A crash, a full disk or a Ctrl+C at any point leaves either
the old file or the new one, never a mix. A failed write is always the OSError the system gave, even
when the writer it went through swallowed it or raised its own error instead: torch.save's zip writer
turns a full disk into `RuntimeError: [enforce fail at inline_container.cc…] unexpected pos`.
`write_files()` writes several files all or none (a program and its weights).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, Protocol

from rnntui.core.errors import SpecError


class FileRefused(SpecError):
    """A file that is not a regular file, is too large, or cannot be read; the message says which."""


def human_bytes(n: int) -> str:
    for unit, size in (("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1_000)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"


def os_reason(exc: OSError) -> str:
    """`[Errno 28] No space left on device` → `no space left on device` (one line, no path)."""
    return (exc.strerror or str(exc) or type(exc).__name__).strip().lower()


def open_regular(path: str | os.PathLike[str], what: str) -> tuple[int, int]:
    """Open `path` for reading if it is a regular file: (descriptor, size). Raises FileRefused."""
    shown = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise FileRefused(f"{what} {shown!r} does not exist") from None
    except OSError as exc:
        raise FileRefused(f"{what} {shown!r} cannot be opened: {os_reason(exc)}") from None
    try:
        st = os.fstat(fd)
    except OSError as exc:
        os.close(fd)
        raise FileRefused(f"{what} {shown!r} cannot be read: {os_reason(exc)}") from None
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file (a device, FIFO or socket)"
        raise FileRefused(f"{what} {shown!r} is {kind}; give a regular file")
    return fd, st.st_size


def read_regular(path: str | os.PathLike[str], max_bytes: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most `max_bytes`; anything else is refused (FileRefused)."""
    data, size = read_prefix(path, max_bytes, what, refuse_larger=True)
    return data


def read_prefix(
    path: str | os.PathLike[str], max_bytes: int, what: str = "file", refuse_larger: bool = False
) -> tuple[bytes, int]:
    """At most the first `max_bytes` of a regular file, and the file's size."""
    fd, size = open_regular(path, what)
    try:
        if size > max_bytes and refuse_larger:
            raise FileRefused(f"{what} {str(path)!r} is {human_bytes(size)}; the limit is {human_bytes(max_bytes)}")
        # One byte more than the cap shows a file that grew past it after fstat.
        chunks, left = [], max_bytes + (1 if refuse_larger else 0)
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise FileRefused(f"{what} {str(path)!r} cannot be read: {os_reason(exc)}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > max_bytes:
        raise FileRefused(f"{what} {str(path)!r} grew past the limit of {human_bytes(max_bytes)} while it was read")
    return data, size


class Sink(Protocol):
    """What a writer given to `atomic_write` may call."""

    def write(self, data: bytes | memoryview, /) -> int: ...

    def flush(self) -> None: ...


class _Recording:
    """A file handle that keeps the first OSError a write raised (see the module doc for why)."""

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self.error: OSError | None = None

    def write(self, data: bytes | memoryview, /) -> int:
        try:
            return self._fh.write(data)
        except OSError as exc:
            self.error = self.error or exc
            raise

    def flush(self) -> None:
        try:
            self._fh.flush()
        except OSError as exc:
            self.error = self.error or exc
            raise


def _write_temp(path: Path, write: Callable[[Sink], None]) -> str:
    """A temporary file beside `path` holding what `write` wrote, flushed and fsynced; its name."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            sink = _Recording(fh)
            try:
                write(sink)
            except Exception:
                if sink.error is not None:
                    raise sink.error from None
                raise
            if sink.error is not None:  # swallowed by the writer: the file is torn all the same
                raise sink.error
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def atomic_write(path: Path, write: Callable[[Sink], None]) -> None:
    """Replace `path` with what `write` puts in a file handle; all or nothing (see the module doc)."""
    tmp = _write_temp(path, write)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _writer(data: bytes) -> Callable[[Sink], None]:
    def write(fh: Sink) -> None:
        fh.write(data)

    return write


def atomic_write_bytes(path: Path, data: bytes) -> None:
    atomic_write(path, _writer(data))


def write_files(files: list[tuple[Path, bytes]]) -> None:
    """Write every file, or none: each goes to a temporary file first (a full disk fails there, with
    nothing replaced); only when all are written are they renamed into place (renames take no space)."""
    temps: list[str] = []
    try:
        for path, data in files:
            try:
                temps.append(_write_temp(path, _writer(data)))
            except OSError as exc:  # named for the file it was for, not its temporary
                raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None
        for tmp, (path, _) in zip(temps, files, strict=True):
            os.replace(tmp, path)
    except BaseException:
        for tmp in temps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
