"""What the Predict view shows, as Text: every token, label and regex in it is data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text

from rnntui.app.plain import assemble, join, line
from rnntui.core.outputs import ClassOfPrefix, Forecast, NextToken, Produced, TagPerToken

if TYPE_CHECKING:
    from rnntui.core.predictor_protocol import PredictionView, Unit


QUANTITY_NAMES = {
    "hidden": "hidden h",
    "cell": "cell c",
    "i": "input gate i",
    "f": "forget gate f",
    "g": "candidate g",
    "o": "output gate o",
    "r": "reset gate r",
    "z": "update gate z",
    "n": "candidate n",
    "attention": "attention",
}


@dataclass(frozen=True)
class HuntOutcome:
    """The last neuron hunt: the regex, its ranked units, or why it could not rank."""

    pattern: str
    units: tuple[Unit, ...] = ()
    error: str | None = None


def prob_bar(p: float, width: int = 24) -> str:
    full = max(0, min(width, round(p * width)))
    return "█" * full + "░" * (width - full)


def shown_token(tok: str) -> str:
    if tok == " ":
        return "␣"
    if tok == "\n":
        return "↵"
    return tok if tok.isprintable() else repr(tok)


def output_text(pred: PredictionView) -> Text:
    """What the network says for the prefix, by the type of its output; tokens and labels are data."""
    out = pred.output
    if isinstance(out, NextToken):
        rows = [assemble(line(f"{shown_token(r.label):>6}"), f" {r.p:6.3f} {prob_bar(r.p)}") for r in out.top]
        return join([Text("next token", style="bold"), *rows])
    if isinstance(out, ClassOfPrefix):
        rows = [assemble(line(f"{r.label:>10}"), f" {r.p:6.3f} {prob_bar(r.p)}") for r in out.top]
        if out.per_step:
            steps = " ".join(f"{t}→{r.label[:3]}" for t, r in zip(pred.tokens, out.per_step, strict=False))
            rows.append(assemble(("after each word: ", "dim"), line(steps[-300:])))
        return join([Text("class after the whole prefix", style="bold"), *rows])
    if isinstance(out, TagPerToken):
        rows = [
            assemble(line(f"{t.token:>12}"), "  ", line(f"{t.tag:<6}", "bold"), f" {t.p:5.2f}") for t in out.tags[-20:]
        ]
        return join([Text("tag per token", style="bold"), *rows])
    if isinstance(out, Forecast):
        rows = []
        if out.next is not None:
            rows.append(assemble("next value  ", (f"{out.next:.4f}", "bold")))
            rows.append(Text("after each step: " + ", ".join(f"{v:.3f}" for v in out.values[-8:]), style="dim"))
        return join([Text("forecast", style="bold"), *rows])
    return join([Text("output sequence", style="bold"), produced_text(out, pred.fed > 0)])


def produced_text(out: Produced, read: bool) -> Text:
    if out.tokens:
        return line(out.text + ("" if out.ended else " …"))
    if not read:
        return Text("(type the input)", style="dim")
    # An untrained decoder often writes its end token first: say so, not "type the input".
    return Text("(nothing: the network wrote the end token </s> first)", style="dim")


def clipped(text: str, room: int) -> str:
    """`text` cut to `room` characters, at a space where there is one, with … where it was cut."""
    if room <= 0 or len(text) <= room:
        return text
    cut = text[: room - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > room // 2 else cut) + " …"


def continuation_text(prefix: str, greedy: str, sampled: str, width: int = 0, max_lines: int = 0) -> Text:
    """The greedy and the sampled continuation after the prefix's tail; with `width`, each in at
    most `max_lines` lines (an untrained network goes on for lines, and the heatmap is under it)."""
    tail = prefix[-30:]
    # word wrapping loses up to a word's length a line: leave that much room
    room = max_lines * max(10, width - 6) - 9 - len(tail) if width > 0 and max_lines > 0 else 0
    return assemble(
        ("greedy   ", "bold"),
        line(tail, "dim"),
        line(clipped(greedy, room)),
        "\n",
        ("sampled  ", "bold"),
        line(tail, "dim"),
        line(clipped(sampled, room - 8 if room else 0)),
        (" (T=0.8)", "dim"),
    )


def hunt_text(pattern: str, units: list[Unit]) -> Text:
    ranked = ", ".join(f"{u.label()} r={u.score:+.2f}" for u in units)
    return assemble(("units tracking ", "bold"), line(pattern, "bold"), (": ", "bold"), ranked)
