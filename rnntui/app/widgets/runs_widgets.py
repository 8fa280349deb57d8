"""The Runs view's parts: the overlay chart, the runs table and the delete question."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label

from rnntui.app.plain import assemble, line
from rnntui.app.runs_scan import Scan
from rnntui.app.widgets.charts import CYCLE, Chart, Series
from rnntui.app.widgets.runs_table import Fit, Live, cells, columns, fit_table, headers

if TYPE_CHECKING:  # torch-side modules: importing them here would import torch on the UI thread
    from rnntui.core.run_list import RunSummary


@dataclass
class RunsScanned(Message):
    """What a worker read from the runs folder (`ticket`: the request it answers)."""

    scan: Scan
    ticket: int


@dataclass
class RunDeleted(Message):
    path: Path
    error: str | None  # why it could not be deleted


class OverlayChart(Chart):
    """One series per selected run on shared axes, a colour each, named in the legend."""

    def __init__(self, title: str, key: str, **kwargs: str) -> None:
        super().__init__(**kwargs)
        self.title_text, self.key = title, key
        self.series: list[tuple[str, Sequence[float], Sequence[float]]] = []

    def build_series(self) -> list[Series]:
        return [Series(label, xs, ys, CYCLE[i % len(CYCLE)]) for i, (label, xs, ys) in enumerate(self.series)]


class ConfirmDelete(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "no", "cancel"), Binding("y", "yes", "delete"), Binding("n", "no", "keep")]

    def __init__(self, name: str, detail: str = "") -> None:
        super().__init__()
        self.run_name, self.detail = name, detail  # detail: the run as the table shows it

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            # The name on a line of its own: run folder names are long, and 80 columns are few.
            name = line(self.run_name, "bold")
            yield Label(assemble("Delete the run\n", name, "\n", line(self.detail), "\nand all its files?"))
            with Horizontal():
                yield Button("Delete (y)", id="yes", variant="error", compact=True)
                yield Button("Keep (n)", id="no", compact=True)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


class RunsTable(DataTable[Text]):
    """Rows are whole runs: ←/→ go to the view (they switch the overlay chart) instead of moving a
    column cursor nobody sees."""

    BINDINGS = [Binding("enter", "select_cursor", "select", tooltip="select the run: its curves join the overlay")]

    fit: Fit | None = None  # how the columns are shortened now

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action not in ("cursor_left", "cursor_right")

    def room(self, width: int, rows: int) -> int:
        """The width for the columns out of `width`: less a scrollbar when the rows overflow."""
        most = self.styles.max_height
        shown = int(most.value) - 1 if most is not None else rows  # (less the header)
        return width - (self.styles.scrollbar_size_vertical if rows > shown else 0)

    def show_runs(self, runs: list[RunSummary], selected: set[Path], live: Live | None, width: int) -> None:
        """Every run a row, the columns fitted to `width` (runs_table.py); the cursor stays on its
        run when rows come or go above it."""
        was = self.cursor_row
        keep = str(list(self.rows)[was].value) if 0 <= was < self.row_count else None
        fit = fit_table(runs, selected, live, self.room(width, len(runs)))
        if fit != self.fit:
            self.clear(columns=True)
            for key, header in zip(columns(fit), headers(fit), strict=True):
                self.add_column(header, key=key)
            self.fit = fit
        else:
            self.clear()
        for r in runs:
            own = live if live is not None and live.path == r.path else None
            # Every cell as Text: a str cell is parsed as markup, and names and statuses are data.
            self.add_row(*[line(c) for c in cells(r, r.path in selected, fit, own).values()], key=str(r.path))
        paths = [str(r.path) for r in runs]
        if paths:
            self.move_cursor(row=paths.index(keep) if keep in paths else min(was, len(paths) - 1))

    def show_live(self, run: RunSummary, selected: bool, live: Live, width: int) -> bool:
        """The live numbers in the run's row; False when the numbers need a tighter fit."""
        assert self.fit is not None
        row = cells(run, selected, self.fit, live)
        for column in ("steps", "metric", "goal", "status"):
            if column in row:
                self.update_cell(str(run.path), column, line(row[column]), update_width=True)
        return self.virtual_size.width <= self.room(width, self.row_count)
