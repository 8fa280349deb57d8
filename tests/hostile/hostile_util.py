"""Helpers for the hostile-input tests: the CLI in-process and as a bounded subprocess."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import tiny
from rnntui.cli import main
from rnntui.core.runs import RunDir
from rnntui.core.trainer import Trainer

MEMORY_CAP = 4 << 30  # address space for a subprocess: a runaway allocation fails instead of swapping


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`rnntui ARGS` in this process: (exit status, stdout, stderr). argparse's own exits count too."""
    capsys.readouterr()
    try:
        rc = main(list(args))
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    return rc, out.out, out.err


def one_error(rc: int, err: str) -> str:
    """The one line of a user error: exit 2, no traceback."""
    assert rc == 2, (rc, err)
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnntui: error: "), lines
    return lines[0]


def _limit(cap: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def rnntui(
    *args: str, timeout: float = 120, cap: int = MEMORY_CAP, env: dict[str, str] | None = None, stdin: int | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m rnntui ARGS` with a time limit and an address-space cap."""
    return subprocess.run(
        [sys.executable, "-m", "rnntui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL if stdin is None else stdin,
        preexec_fn=(lambda: _limit(cap)) if sys.platform.startswith("linux") else None,
    )


def trained(base: Path, task: str = "char_lm", params: dict | None = None, steps: int = 3, **model: object) -> RunDir:
    """A small run with a checkpoint, trained in this process."""
    spec = tiny(task, params if params is not None else {"seq_len": 12, "corpus": "hello", "case": "upper"}, **model)
    run = RunDir.create(base, spec)
    trainer = Trainer(spec, run=run)
    trainer.run(steps=steps)
    trainer.close()
    return run
