"""What a network says about a typed prefix: one frozen type per family of output.

A Prediction carries exactly one of these; the Predict view and the CLI choose how to show it by
its type, and `to_json` writes the fields `rnntui predict --json` has always had (the exported
programs print the same JSON, and tests compare the two).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rnntui.core.tasks.kinds import Family


@dataclass(frozen=True)
class Ranked:
    """A token or class and its probability."""

    label: str
    p: float


@dataclass(frozen=True)
class NextToken:
    """A language model: the most probable next tokens (never a special one), and where greedy and
    sampled decoding go from the prefix (as text that follows it, empty unless asked for)."""

    family: ClassVar[Family] = Family.NEXT_TOKEN
    top: tuple[Ranked, ...]
    continuation: str = ""
    sampled: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"next": [{"token": r.label, "p": r.p} for r in self.top]}
        if self.continuation or self.sampled:  # asked for (--generate N)
            out |= {"continuation": self.continuation, "sampled": self.sampled}
        return out


@dataclass(frozen=True)
class Tag:
    token: str
    tag: str
    p: float


@dataclass(frozen=True)
class TagPerToken:
    family: ClassVar[Family] = Family.TAGS
    tags: tuple[Tag, ...]

    def to_json(self) -> dict[str, Any]:
        return {"tags": [{"token": t.token, "tag": t.tag, "p": t.p} for t in self.tags]}


@dataclass(frozen=True)
class ClassOfPrefix:
    """The class of the whole prefix (the top classes), and the top class after each step."""

    family: ClassVar[Family] = Family.CLASS
    top: tuple[Ranked, ...]
    per_step: tuple[Ranked, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "next": [{"token": r.label, "p": r.p} for r in self.top],
            "per_step": [{"class": r.label, "p": r.p} for r in self.per_step],
        }


@dataclass(frozen=True)
class Forecast:
    """The forecast after each step, in the series' own units; the last is the next value."""

    family: ClassVar[Family] = Family.FORECAST
    values: tuple[float, ...]

    @property
    def next(self) -> float | None:
        return self.values[-1] if self.values else None

    def to_json(self) -> dict[str, Any]:
        return {"forecast": self.next, "forecasts": list(self.values)}


@dataclass(frozen=True)
class Produced:
    """A generated or decoded sequence, greedily, up to its end token (`ended` when the network
    wrote it; an untrained decoder may end at once and write nothing)."""

    family: ClassVar[Family] = Family.GENERATE
    tokens: tuple[str, ...]
    ended: bool = True
    separator: str = " "  # how the task writes its tokens (letters side by side, words with spaces)

    @property
    def text(self) -> str:
        return self.separator.join(self.tokens)

    def to_json(self) -> dict[str, Any]:
        return {"output": self.text}


@dataclass(frozen=True)
class Translated(Produced):
    """A decoded translation; with attention, where each decoding step looked: one row per step
    written (the end token's included), one weight per source token, each row summing to 1."""

    family: ClassVar[Family] = Family.TRANSLATE
    attention: tuple[tuple[float, ...], ...] = ()

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        if self.attention:
            out["attention"] = [list(row) for row in self.attention]
        return out


Output = NextToken | TagPerToken | ClassOfPrefix | Forecast | Produced
