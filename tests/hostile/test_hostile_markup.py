"""Text that is not ours is never markup and never reaches the terminal raw (issue 12, findings 4–5).

Each test reproduces a finding in the running app: brackets typed into a Build field crashed it, a
regex like [AEIOU] vanished from the hunt result, a preset name with an apostrophe broke the
palette, and markup or escape sequences in a shared preset restyled the screen or reached the
terminal. What the terminal shows is read back from the app's screenshot.
"""

from __future__ import annotations

import random
from pathlib import Path

from app_helpers import ready, screen_text, wait_for
from textual.command import CommandPalette
from textual.widgets import Input

from rnntui.app.app import RnnApp
from rnntui.app.state import Phase
from rnntui.core.textsafe import one_line

NASTY_TITLE = "[bold red]red[/] [@click=app.quit]click[/] [AEIOU] \\[/] 🙂 \x1b]0;pwned\x07 \x9b2J end"
NASTY_NAME = "o'brien [@click=app.quit]"


def write_preset(folder: Path, name: str, title: str, lesson: str = "") -> None:
    def toml(s: str) -> str:  # a TOML basic string: JSON's escapes are valid TOML escapes
        import json

        return json.dumps(s, ensure_ascii=False)

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hostile.toml").write_text(
        f"name = {toml(name)}\ntitle = {toml(title)}\nlesson = {toml(lesson)}\n"
        f'[[try_next]]\nset = "model.cell=gru"\nwhy = {toml(title)}\n'
        '[task]\nname = "char_lm"\ncorpus = "hello"\nseq_len = 12\ncase = "upper"\n'
        "[model]\nhidden_size = 8\nembedding_dim = 4\n[train]\nsteps = 20\nbatch_size = 4\n",
        encoding="utf-8",
    )


def no_raw_controls(text: str) -> bool:
    return not any(0x00 <= ord(c) < 0x20 and c != "\n" or 0x7F <= ord(c) < 0xA0 for c in text)


async def test_brackets_typed_in_a_build_field_are_shown_not_parsed(tmp_path: Path) -> None:
    app = RnnApp(runs_dir=str(tmp_path / "runs"))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot, "hello")
        field = app.query_one("#lr", Input)
        field.focus()
        field.value = ""
        await pilot.press("[", "/")  # crashed the app: the error quoting '[/' was parsed as markup
        await wait_for(pilot, lambda: app.training.phase is Phase.BLOCKED)
        assert "'[/'" in screen_text(app)
        field.value = "[b]x[/b]"
        await wait_for(pilot, lambda: "[b]x[/b]" in (app.training.form_error or ""))
        await pilot.press("escape", "space")  # the refusal's notice (the status line) quotes it
        await wait_for(pilot, lambda: screen_text(app).count("[b]x[/b]") == 2)


async def test_a_regex_with_brackets_is_shown_verbatim_in_the_hunt(tmp_path: Path) -> None:
    app = RnnApp(runs_dir=str(tmp_path / "runs"))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("3")
        await pilot.pause()
        app.query_one("#prefix", Input).value = "HELLO WORLD HELLO"
        hunt = app.query_one("#hunt", Input)
        hunt.value = "[AEIOU]"
        hunt.focus()
        await pilot.press("enter")
        view = app.query_one("#predict")
        await wait_for(pilot, lambda: getattr(view, "hunt_outcome", None) is not None or "r=" in screen_text(app))
        await pilot.pause()
        assert "units tracking [AEIOU]" in screen_text(app)  # escape() left it as markup: it vanished


async def test_a_shared_preset_cannot_restyle_act_or_reach_the_terminal(tmp_path: Path, monkeypatch) -> None:
    presets = tmp_path / "presets"
    monkeypatch.setenv("RNNTUI_PRESETS_DIR", str(presets))
    write_preset(presets, NASTY_NAME, NASTY_TITLE, lesson=NASTY_TITLE)
    app = RnnApp(runs_dir=str(tmp_path / "runs"))
    async with app.run_test(size=(200, 50)) as pilot:
        await ready(pilot, "hello")
        # The palette: "Load preset: o'brien …" was an action string (broken by the apostrophe)
        # and its highlight parsed the name as markup.
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"o'brien")
        await wait_for(pilot, lambda: "o'brien [@click=app.quit]" in screen_text(app), timeout=10)
        await pilot.press("enter")
        await ready(pilot, NASTY_NAME)
        shown = screen_text(app)
        assert one_line(NASTY_TITLE) in shown  # the lesson's title line, verbatim, controls visible
        assert "\x1b" not in app.export_screenshot() and no_raw_controls(shown)
        await pilot.press("question_mark")
        await pilot.pause()
        assert "[@click=app.quit]click[/]" in screen_text(app)
        await pilot.press("escape", "p")
        await pilot.pause()
        assert "[bold red]red[/]" in screen_text(app)
        await pilot.press("escape")
        assert app.is_running


async def test_random_bracket_and_control_text_typed_everywhere_is_shown_verbatim(tmp_path: Path) -> None:
    rng = random.Random(12)
    alphabet = ["[", "]", "\\", "/", "@", "=", "'", '"', "b", "A", "🙂", "\x1b", "\x07", "\x9b", "\t", " "]
    samples = ["[/]", "[@click=app.quit]", "[AEIOU]"] + [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(12)
    ]
    app = RnnApp(runs_dir=str(tmp_path / "runs"))
    async with app.run_test(size=(160, 50)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("3")
        await pilot.pause()
        for text in samples:
            app.query_one("#prefix", Input).value = text
            app.query_one("#hunt", Input).value = text
            app.query_one("#unit", Input).value = text
            await pilot.pause()
            shown = screen_text(app)
            assert no_raw_controls(shown), repr(text)
            assert one_line(text.replace("\t", " ")) in shown, repr(text)
        app.action_view("build")
        await pilot.pause()
        for text in samples:
            app.query_one("#hidden_size", Input).value = text
            await wait_for(pilot, lambda: app.training.phase is Phase.BLOCKED)
            assert no_raw_controls(screen_text(app)), repr(text)
        assert app.is_running
