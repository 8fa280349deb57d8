from __future__ import annotations

import os

import pytest
import torch
from hypothesis import settings

torch.set_num_threads(min(2, os.cpu_count() or 1))

# Every property test draws the same examples on every machine: a CI failure reproduces here.
settings.register_profile("rnntui", derandomize=True, database=None)
settings.load_profile("rnntui")


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path, monkeypatch):
    """Runs, user presets and the cache go to a temporary folder, never the real user dirs."""
    monkeypatch.setenv("RNNTUI_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("RNNTUI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RNNTUI_PRESETS_DIR", str(tmp_path / "user-presets"))
    torch.manual_seed(0)
    yield
