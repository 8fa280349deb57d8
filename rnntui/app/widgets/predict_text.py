"""What the Predict view shows, as Text: every token, label and regex in it is data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text

from rnntui.app.plain import assemble, join, line

if TYPE_CHECKING:  # torch-side modules: importing them here would import torch on the UI thread
    from rnntui.core.hunt import Unit
    from rnntui.core.prediction import Prediction


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


def output_text(pred: Prediction) -> Text:
    """What the network says for the prefix, by the task's kind; tokens and labels are data."""
    lines: list[Text] = []
    if pred.kind == "lm":
        lines.append(Text("next token", style="bold"))
        for tok, p in pred.next:
            lines.append(assemble(line(f"{shown_token(tok):>6}"), f" {p:6.3f} {prob_bar(p)}"))
    elif pred.kind == "classify":
        lines.append(Text("class after the whole prefix", style="bold"))
        for c, p in pred.classes:
            lines.append(assemble(line(f"{c:>10}"), f" {p:6.3f} {prob_bar(p)}"))
        if pred.per_step:
            steps = " ".join(f"{t.text}→{c[:3]}" for t, (c, _) in zip(pred.tokens, pred.per_step, strict=False))
            lines.append(assemble(("after each word: ", "dim"), line(steps[-300:])))
    elif pred.kind == "tag":
        lines.append(Text("tag per token", style="bold"))
        for tok, tag, p in pred.tags[-20:]:
            lines.append(assemble(line(f"{tok:>12}"), "  ", line(f"{tag:<6}", "bold"), f" {p:5.2f}"))
    elif pred.kind == "regress":
        lines.append(Text("forecast", style="bold"))
        if pred.forecasts:
            lines.append(assemble("next value  ", (f"{pred.forecasts[-1]:.4f}", "bold")))
            history = ", ".join(f"{v:.3f}" for v in pred.forecasts[-8:])
            lines.append(Text(f"after each step: {history}", style="dim"))
    else:
        lines.append(Text("output sequence", style="bold"))
        lines.append(line(" ".join(pred.output)) if pred.output else Text("(type the input)", style="dim"))
    return join(lines)


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
