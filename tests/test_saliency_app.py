"""Predict's saliency line (issue 16, part 2): under the prefix, each token shaded by how much it moves
the prediction; computed in the predictor's process, drawn from plain numbers."""

from __future__ import annotations

from app_helpers import ready, screen_lines, wait_for
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_predict_off_the_loop import TorchCalls

from rnntui.app.app import RnnApp
from rnntui.app.state import Phase
from rnntui.app.widgets.predict_view import PredictView
from rnntui.app.widgets.saliency_line import (
    LABEL,
    Looked,
    SaliencyLine,
    legend,
    saliency_text,
    shaded_prefix,
    shaded_tail,
    tail,
)
from rnntui.core.experiment import build_task
from rnntui.core.presets import resolve
from rnntui.core.spec import TaskSpec
from rnntui.core.textsafe import is_safe
from rnntui.core.trace_table import Saliency

CHARS = build_task(TaskSpec("char_lm", {"corpus": "hello", "case": "upper", "seq_len": 12}))


def shown_for(app: RnnApp, prefix: str) -> bool:
    looked = app.query_one(SaliencyLine).looked
    return looked is not None and looked.prefix == prefix


async def test_the_line_follows_typing_without_torch_on_the_event_loop(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("3")
        await wait_for(pilot, lambda: shown_for(app, "HELL"))
        line = app.query_one(SaliencyLine)
        assert len(line.looked.saliency.values) == 4 and max(line.looked.saliency.values) == 1.0
        with TorchCalls() as calls:
            await pilot.press("O", "space", "W")
            await wait_for(pilot, lambda: shown_for(app, "HELLO W"))
            app.query_one(PredictView).redraw()
            await pilot.pause()
        assert calls.names == []
        sal = line.looked.saliency
        assert len(sal.values) == 7 and line.looked.spans[-1] == (6, 7)
        top = app.query_one(PredictView).prediction.output.top[0].label
        assert sal.target == f"log p({top})"
        lines = screen_lines(app)
        row = next(i for i, r in enumerate(lines) if r.startswith(LABEL))
        assert lines[row - 1].startswith("prefix") and "HELLO W" in lines[row]  # right under the prefix
        assert lines[row].index("HELLO W") == lines[row - 1].index("HELLO W")  # each shade under its token


async def test_one_to_many_says_it_does_not_apply(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        app._start(spec=resolve("spell-number"))
        await wait_for(pilot, lambda: app.training.phase is Phase.READY)
        await ready(pilot, "spell-number")
        await pilot.press("3")
        line = app.query_one(SaliencyLine)
        await wait_for(pilot, lambda: line.looked is not None)
        assert not line.looked.saliency.applicable and line.looked.saliency.values == ()


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=80), st.integers(10, 200), st.lists(st.floats(0, 1), max_size=80))
@example("a\x1b[31mb\tc\n", 30, [1.0, 0.2, 0.5])
@example("日本語のテキスト " * 10, 80, [0.5] * 40)
@example("00000000000", 46, [0.0])  # the … did not count when the cut fell between tokens (found by hypothesis)
def test_any_prefix_draws_one_line_of_visible_characters(text, width, values):
    from rich.cells import cell_len

    spans = tuple((t.start, t.end) for t in CHARS.tokenize(text))[: len(values)]
    sal = Saliency(tuple(values[: len(spans)]), "log p(\x1b)", 0.5)
    drawn = saliency_text(Looked(text, spans, sal), width).plain
    assert "\n" not in drawn and is_safe(drawn) and "\t" not in drawn
    if sal.values:
        assert cell_len(drawn) <= max(width, len(LABEL) + 1 + cell_len(legend(sal, width).plain))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    st.lists(st.sampled_from(["HELL", "O", " ", "日本", "\x1b", "é", "0.5", "ab"]), max_size=300),
    st.integers(1, 120),
    st.randoms(use_true_random=False),
)
def test_the_line_shades_only_the_tokens_that_show_and_shows_the_same(words, room, rnd) -> None:
    # Shading every token of a long prefix at each answer was most of the line's cost (4-5 ms at
    # 200 tokens, 120×40); only the last `room` cells show.
    prefix, spans, at = "", [], 0
    for w in words:
        if rnd.random() < 0.2:
            prefix += "~"  # text between tokens (not fed): shown dim
            at += 1
        spans.append((at, at + len(w)))
        prefix += w
        at += len(w)
    values = [rnd.random() for _ in spans]
    assert shaded_tail(prefix, spans, values, room) == tail(shaded_prefix(prefix, spans, values), room)
