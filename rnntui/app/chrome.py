"""The app's chrome: the top bar (view tabs, preset, device) and the status line (what the app is
doing, or a passing notice). Pure functions of what they show; preset names and notices are data."""

from __future__ import annotations

from rich.text import Text

from rnntui.app.plain import Part, assemble, line

VIEWS = (("build", "1 Build"), ("train", "2 Train"), ("predict", "3 Predict"), ("runs", "4 Runs"))


def topbar_text(current: str | None, device: str, preset: str) -> Text:
    """The top bar: view tabs, then the preset and the device (the preset's name is data)."""
    parts: list[Part] = [("rnntui", "bold"), " "]
    for vid, label in VIEWS:
        parts += [(f" {label} ", "reverse" if vid == current else ""), " "]
    parts += ["  ", line(preset, "bold"), " · ", line(device)]
    text = assemble(*parts)
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


def status_text(status: str, notice: bool = False) -> Text:
    """The status line: what the app is doing and what to press next, or a passing notice (either
    may quote data)."""
    text = line(status, "bold" if notice else "")
    text.no_wrap, text.overflow = True, "ellipsis"
    return text
