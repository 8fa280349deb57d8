"""What the app's presets menu lists and the device it names, read in a child process
(core/child_job.py): reading a preset validates it against its task class, which imports torch,
and the app's process imports none."""

from __future__ import annotations

from dataclasses import dataclass

from rnntui.core.presets import PresetEntry


@dataclass(frozen=True)
class Menu:
    presets: list[PresetEntry]  # in the menu's order, broken ones with their error
    device: str  # what "auto" picks here, in words ("cpu", "cuda (NVIDIA H200)")


def read_menu() -> Menu:
    from rnntui.core.device import describe_device, resolve_device
    from rnntui.core.presets import discover, sorted_entries

    return Menu(sorted_entries(discover()), describe_device(resolve_device("auto")))
