"""`rnntui runs`: the Runs view's table on the command line, unreadable run folders with their reason."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rnntui.cli_common import emit_json
from rnntui.core.textsafe import one_line

if TYPE_CHECKING:
    from rnntui.core.run_list import RunSummary, Unreadable

COLUMNS = ("name", "cell", "dir", "layers", "hidden", "steps", "metric", "goal", "date", "status", "run")
CELLS = {"rnn_tanh": "RNN-tanh", "rnn_relu": "RNN-relu", "lstm": "LSTM", "gru": "GRU"}


def cmd_runs(args: argparse.Namespace) -> int:
    from rnntui.core.run_list import scan_runs
    from rnntui.core.runs import default_runs_dir

    base = Path(args.runs_runs_dir or args.runs_dir or default_runs_dir()).expanduser()
    runs, broken = scan_runs(base)
    if args.json:
        emit_runs_json(runs, broken)
        return 0
    if not runs and not broken:
        print(f"no runs in {one_line(str(base))}")
        return 0
    rows = [COLUMNS, *(table_row(r) for r in runs)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    for b in broken:
        print(f"{one_line(b.path.name)}  unreadable: {one_line(b.reason)}")
    return 0


def emit_runs_json(runs: list[RunSummary], broken: list[Unreadable]) -> None:
    """One object per run, then one per unreadable folder (exact values: --json keeps data as it is)."""
    for r in runs:
        emit_json(
            {
                "run_dir": str(r.path),
                "name": r.name,
                "cell": r.cell,
                "bidirectional": r.bidirectional,
                "layers": r.layers,
                "hidden": r.hidden,
                "steps": r.steps,
                "metric": r.metric,
                "value": r.value,
                "goal_met": r.goal_met,
                "created": r.created,
                "status": r.status,
            }
        )
    for b in broken:
        emit_json({"run_dir": str(b.path), "unreadable": b.reason})


def table_row(r: RunSummary) -> tuple[str, ...]:
    """One run as the table's cells, every text from the run made one visible line."""
    value = "–" if r.value is None else f"{one_line(r.metric)} {r.value:.3g}"
    goal = "–" if r.goal_met is None else ("met" if r.goal_met else "not met")
    return (
        one_line(r.name)[:24],
        one_line(CELLS.get(r.cell, r.cell)),
        "bi" if r.bidirectional else "uni",
        str(r.layers),
        str(r.hidden),
        str(r.steps),
        value,
        goal,
        time.strftime("%m-%d %H:%M", time.localtime(r.created)),
        one_line(r.status),
        one_line(r.path.name),
    )
