"""The Runs table's rows and columns, fitted to the width there is: every cell whole.

At 80 columns a long metric name ("nats_below_unigram 0.812") cut the goal and status columns
("✓ comple") and a horizontal scrollbar took a row. The table is fitted in steps, each only when
the one before does not fit: metric names abbreviated ("nats<uni", the full name under the table
for the run under the cursor), then the direction folded into the cell ("GRU bi") and the goal mark
into the metric ("0.812 ✓"), then long metric names and preset names shortened with "…".
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from rnntui.app.state import TrainingState
from rnntui.core.spec import CELL_LABELS
from rnntui.core.textsafe import one_line

if TYPE_CHECKING:  # torch-side modules: importing them here would import torch on the UI thread
    from rnntui.core.run_list import RunSummary

# The metric names the tasks report, as the table writes them when the full names do not fit.
METRIC_SHORT = {
    "accuracy": "acc",
    "bank_accuracy": "bank acc",
    "token_accuracy": "tok acc",
    "negated_accuracy": "neg acc",
    "exact_match": "exact",
    "nats_below_unigram": "nats<uni",
    "bits_per_char": "bpc",
    "val_loss": "val loss",
}
CELL_PADDING = 1  # DataTable's, on each side of every column
MIN_NAME = 6  # a preset name is never shortened below this (with its "…")


@dataclass(frozen=True)
class Live:
    """The app's own run, as the training state says it is now (its run.json is written at the end)."""

    path: Path
    step: int
    metric: str
    value: float | None
    met: bool | None
    status: str  # training | paused


@dataclass(frozen=True)
class Fit:
    """How the table is shortened to fit: each field one step of shortening."""

    short_metric: bool = False  # METRIC_SHORT names
    folded: bool = False  # no dir and goal columns: "GRU bi", "0.812 ✓"
    name_width: int = 0  # preset names cut to this (0: whole)
    metric_width: int = 0  # metric names cut to this (0: whole)


COLUMNS = ("sel", "preset", "cell", "dir", "size", "steps", "metric", "goal", "status")
HEADERS = {"sel": "", "size": "L×H"}


def columns(fit: Fit) -> list[str]:
    return [c for c in COLUMNS if not (fit.folded and c in ("dir", "goal"))]


def headers(fit: Fit) -> list[str]:
    return [HEADERS.get(c, c) for c in columns(fit)]


def cut(text: str, width: int) -> str:
    return text if width <= 0 or len(text) <= width else text[: max(1, width - 1)] + "…"


def metric_name(name: str, fit: Fit) -> str:
    return cut(METRIC_SHORT.get(name, name) if fit.short_metric else name, fit.metric_width)


def cells(r: RunSummary, selected: bool, fit: Fit, live: Live | None = None) -> dict[str, str]:
    """One row, by column: the run's name, architecture, progress, result and status; the live
    numbers of the app's own run in place of what its folder says."""
    name, value, met, steps, status = r.metric, r.value, r.goal_met, r.steps, r.status
    if live is not None:
        name, value, met, steps, status = live.metric or name, live.value, live.met, live.step, live.status
    goal = "" if met is None else ("✓" if met else "✗")
    metric = "–" if value is None else f"{metric_name(name, fit)} {value:.3g}"
    cell = CELL_LABELS.get(r.cell, r.cell)
    row = {
        "sel": "●" if selected else " ",
        "preset": cut(one_line(r.name), fit.name_width),
        "cell": f"{cell} bi" if fit.folded and r.bidirectional else cell,
        "dir": "bi" if r.bidirectional else "uni",
        "size": f"{r.layers}×{r.hidden}",
        "steps": str(steps),
        "metric": f"{metric} {goal}".rstrip() if fit.folded else metric,
        "goal": goal or "–",
        "status": status,
    }
    return {c: row[c] for c in columns(fit)}


def table_width(rows: list[dict[str, str]], fit: Fit) -> int:
    """The table's width in cells: each column as wide as its header or widest cell, padded."""
    total = 0
    for column, header in zip(columns(fit), headers(fit), strict=True):
        total += max([len(header)] + [len(row[column]) for row in rows]) + 2 * CELL_PADDING
    return total


def fit_table(runs: list[RunSummary], selected: set[Path], live: Live | None, width: int) -> Fit:
    """The least shortening that fits the rows into `width` cells."""

    def rows(fit: Fit) -> list[dict[str, str]]:
        return [cells(r, r.path in selected, fit, live if live and live.path == r.path else None) for r in runs]

    for fit in (Fit(), Fit(short_metric=True), Fit(short_metric=True, folded=True)):
        if table_width(rows(fit), fit) <= width:
            return fit
    for metric_width in range(7, 3, -1):  # then the metric names ("nats<u…"; in full under the table)…
        fit = replace(fit, metric_width=metric_width)
        if table_width(rows(fit), fit) <= width:
            return fit
    longest = max((len(one_line(r.name)) for r in runs), default=0)
    for name_width in range(longest - 1, MIN_NAME - 1, -1):  # …and the preset names (the folder says it all)
        fit = replace(fit, name_width=name_width)
        if table_width(rows(fit), fit) <= width:
            return fit
    return fit


def run_label(r: RunSummary, runs: list[RunSummary]) -> str:
    """The run in the overlay's legend, in the table's words; its start time tells apart the
    runs that would read the same."""
    bi = " bi" if r.bidirectional else ""
    label = f"{r.name} {CELL_LABELS.get(r.cell, r.cell)}{bi} {r.layers}×{r.hidden}"
    same = [
        o
        for o in runs
        if (o.name, o.cell, o.bidirectional, o.layers, o.hidden)
        == (r.name, r.cell, r.bidirectional, r.layers, r.hidden)
    ]
    if len(same) > 1:
        label += time.strftime(" %H:%M:%S", time.localtime(r.created))
    return one_line(label)


def live_run(s: TrainingState) -> Live | None:
    """The app's own run while it trains or is paused, as the state has it."""
    if s.run_dir is None or not s.phase.in_run:
        return None
    goal = s.spec.goal if s.spec is not None else None
    met = goal.met(s.metric) if goal is not None and s.metric is not None else None
    return Live(Path(s.run_dir), s.step, s.metric_name, s.metric, met, s.phase.value)
