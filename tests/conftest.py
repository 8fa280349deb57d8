from __future__ import annotations

import os

import pytest
import torch

torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path, monkeypatch):
    """Runs, user presets and the cache go to a temporary folder, never the real user dirs."""
    monkeypatch.setenv("RNNTUI_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("RNNTUI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RNNTUI_PRESETS_DIR", str(tmp_path / "user-presets"))
    torch.manual_seed(0)
    yield
