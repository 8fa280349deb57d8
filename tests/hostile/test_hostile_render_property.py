"""Property: every piece of the UI that shows text that is not ours shows it verbatim (control
characters as visible symbols), never parses it as markup, and never raises (issue 12, finding 5)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text
from textual.content import Content
from textual.fuzzy import Matcher

from rnntui.app.chrome import status_text, topbar_text
from rnntui.app.commands import highlight
from rnntui.app.widgets.build_view import lesson_text
from rnntui.app.widgets.heat_layout import heat_rows
from rnntui.app.widgets.predict_text import continuation_text, hunt_text, output_text, shown_token
from rnntui.app.widgets.presets_screen import preset_details, preset_line
from rnntui.core.outputs import ClassOfPrefix, NextToken, Output, Ranked, Tag, TagPerToken, Translated
from rnntui.core.predictor_protocol import PredictionView, Unit
from rnntui.core.presets import PresetEntry
from rnntui.core.spec import ExperimentSpec, GoalSpec
from rnntui.core.textsafe import is_safe, one_line, sanitize
from rnntui.headless import safe

PIECES = ["[", "]", "\\", "[/]", "[@click=app.quit]", "[AEIOU]", "[bold red]", "🙂", "\x1b", "\x07", "\x9b", "\r"]
hostile = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), max_size=8).map("".join)


def shows(text: Text, data: str, lines: bool = False) -> None:
    """`data` appears verbatim (made visible) in the rendered text, which holds no control character."""
    plain = text.plain
    assert is_safe(plain)
    assert (sanitize(data) if lines else one_line(data)) in plain
    Console(file=open("/dev/null", "w"), width=80).print(text)  # noqa: SIM115 (renders: no MarkupError)
    Content.from_rich_text(text)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(hostile)
def test_lesson_menu_and_top_bar(s: str) -> None:
    spec = ExperimentSpec(
        name=s, title=s, lesson=s, try_next=((s, s),), goal=GoalSpec(metric=s, threshold=1.0, direction="max")
    )
    shows(lesson_text(spec), s)
    entry = PresetEntry(s, Path("/x") / "p.toml", spec, None)
    shows(preset_line(entry), s)
    shows(preset_details(entry), s)
    shows(preset_details(PresetEntry(s, Path("/x"), None, s)), s)
    shows(topbar_text("build", s, s), s)
    shows(status_text(s), s)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(hostile)
def test_predictions_hunt_and_heatmap(s: str) -> None:
    def said(output: Output) -> Text:
        return output_text(PredictionView(prefix=s, tokens=(), output=output, fed=0))

    shows(said(NextToken((Ranked(s, 0.5),))), shown_token(s))  # a lone unprintable token is shown as its repr()
    shows(said(ClassOfPrefix((Ranked(s, 0.9),), ())), s)
    shows(said(TagPerToken((Tag(s, s, 0.9),))), s)
    shows(said(Translated((s,))), s)
    shows(continuation_text(s, s, s), s[-30:])
    shows(hunt_text(s, [Unit(0, 0, 1, 0.5)]), s)
    laid = heat_rows([[0.1, -0.2]], [s])
    heat = "\n".join([laid.head.plain, *("".join(seg.text for seg in build()) for _, build in laid.rows)])
    assert is_safe(heat)
    assert one_line(s.replace("\n", "↵").replace(" ", "␣"))[:2] in heat


@settings(max_examples=60, deadline=None, derandomize=True)
@given(hostile, st.text(alphabet="abo'[", max_size=3))
def test_palette_entries_and_cli_lines(s: str, query: str) -> None:
    name = one_line(f"Load preset: {s}")
    content = highlight(Matcher(query), name)
    assert content.plain == name and is_safe(content.plain)
    shows(safe(("x", "bold"), s), s)
    shows(safe(s, lines=True), s, lines=True)
