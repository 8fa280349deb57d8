"""SVG snapshots of deterministic screens (never of live training), at 80×24 and 120×40."""

from __future__ import annotations

import pytest
from app_helpers import ready

from rnntui.app.app import RnnApp

SIZES = [(80, 24), (120, 40)]


def app_for(tmp_path, preset: str = "hello") -> RnnApp:
    return RnnApp(preset=preset, runs_dir=str(tmp_path))


@pytest.mark.parametrize("size", SIZES)
def test_build_view(snap_compare, tmp_path, size):
    async def run_before(pilot):
        await ready(pilot, "hello")

    assert snap_compare(app_for(tmp_path), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_presets_menu(snap_compare, tmp_path, size):
    async def run_before(pilot):
        await ready(pilot, "hello")
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("down")
        await pilot.pause()

    assert snap_compare(app_for(tmp_path), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_predict_with_a_seeded_model(snap_compare, tmp_path, size):
    async def run_before(pilot):
        await ready(pilot, "hello")
        await pilot.press("3")
        await pilot.pause()
        await pilot.press(*"HELL")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()

    assert snap_compare(app_for(tmp_path), terminal_size=size, run_before=run_before)
