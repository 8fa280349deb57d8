"""Runs: every run on disk; select several to overlay their curves; delete; open one in Predict."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label, Static

from rnntui.app.comparison import CompareState
from rnntui.app.messages import OpenRun
from rnntui.app.plain import assemble, join, line
from rnntui.app.widgets.charts import CYCLE, Chart, ChartPanel, Series
from rnntui.core.spec import CELL_LABELS
from rnntui.core.textsafe import one_line

if TYPE_CHECKING:  # torch-side modules: importing them here would import torch on the UI thread
    from rnntui.core.run_list import RunSummary


class OverlayChart(Chart):
    """One series per selected run on shared axes, a colour each, named in the legend."""

    def __init__(self, title: str, key: str, **kwargs: str) -> None:
        super().__init__(**kwargs)
        self.title_text, self.key = title, key
        self.series: list[tuple[str, list[float], list[float]]] = []

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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action not in ("cursor_left", "cursor_right")


OVERLAYS = (("loss", "loss"), ("grad", "gradient norm"))
CHART_KEYS = Binding.Group("chart", compact=True)


def run_cells(r: RunSummary, selected: bool) -> list[str]:
    """One row: the run's name, architecture, progress, result and status."""
    metric = "–" if r.value is None else f"{r.metric} {r.value:.3g}"
    goal = "–" if r.goal_met is None else ("✓" if r.goal_met else "✗")
    direction = "bi" if r.bidirectional else "uni"
    return [
        "●" if selected else " ",
        r.name,
        CELL_LABELS.get(r.cell, r.cell),
        direction,
        f"{r.layers}×{r.hidden}",
        str(r.steps),
        metric,
        goal,
        r.status,
    ]


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


class RunsView(Vertical):
    FOCUS_ORDER = "↑/↓ move through the runs"
    BINDINGS = [
        Binding("d", "delete", "delete", tooltip="delete the run and its files (asks first)"),
        Binding("o", "open", "open", tooltip="open the run in Predict; space then resumes its training"),
        Binding("c", "app.compare", "compare", tooltip="train variants of the loaded network, then overlay them"),
        Binding("left", "overlay(-1)", "chart", group=CHART_KEYS, tooltip="the previous overlay chart"),
        Binding("right", "overlay(1)", "chart", group=CHART_KEYS, tooltip="the next overlay chart"),
        Binding("f5", "reload", "reload", tooltip="read the runs folder again"),
    ]

    compare: reactive[CompareState | None] = reactive(None, always_update=True)

    def __init__(self, runs_dir: Path | None = None, **kwargs: str) -> None:
        super().__init__(**kwargs)
        self.runs_dir = runs_dir
        self.runs: list[RunSummary] = []
        self.selected: set[Path] = set()
        self.overlay = 0
        self._redrawn_at = 0.0

    def compose(self) -> ComposeResult:
        yield RunsTable(id="runs-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="runs-detail")
        yield Static("", id="runs-problems")
        yield Static("", id="runs-compare")
        yield Static("", id="runs-tabs")
        with Horizontal(id="runs-charts"):
            for key, label in OVERLAYS:
                chart = OverlayChart(label, "loss" if key == "loss" else "grad_norm", id=f"runs-{key}")
                yield ChartPanel(chart, id=f"overlay-{key}", empty="enter selects a run: its curve appears here")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("", "preset", "cell", "dir", "L×H", "steps", "metric", "goal", "status")
        self._show_tabs()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "overlay":
            return self.app.has_class("-narrow")  # both charts are on screen otherwise
        return True

    def action_overlay(self, step: int) -> None:
        self.overlay = (self.overlay + step) % len(OVERLAYS)
        self._show_tabs()
        self.redraw()

    def _show_tabs(self) -> None:
        tabs = Text()
        for i, (_, label) in enumerate(OVERLAYS):
            tabs.append(f" {label} ", style="reverse bold" if i == self.overlay else "dim")
            tabs.append(" ")
        tabs.append("←/→", style="bold")
        self.query_one("#runs-tabs", Static).update(tabs)
        for i, (key, _) in enumerate(OVERLAYS):
            self.query_one(f"#overlay-{key}").set_class(i == self.overlay, "-current")

    def reload(self) -> None:
        from rnntui.core.run_list import list_runs

        was = self.current()  # the cursor stays on its run when rows come or go above it
        self.runs, problems = list_runs(self.runs_dir)
        self.selected &= {r.path for r in self.runs}
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        for r in self.runs:
            # Every cell as Text: a str cell is parsed as markup, and names and statuses are data.
            table.add_row(*[line(c) for c in run_cells(r, r.path in self.selected)], key=str(r.path))
        if self.runs:
            paths = [r.path for r in self.runs]
            row = paths.index(was.path) if was is not None and was.path in paths else cursor
            table.move_cursor(row=min(row, len(self.runs) - 1))
        shown = self.query_one("#runs-problems", Static)
        shown.update(join([line(p) for p in problems]) if problems else ("" if self.runs else "no runs yet: train one"))
        shown.display = bool(problems) or not self.runs
        self._show_detail()
        self.redraw()

    def _show_detail(self) -> None:
        run = self.current()
        text = Text()
        if run is not None:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(run.created))
            text = assemble(line(run.path.name, "bold"), ("  started ", "dim"), when)
        self.query_one("#runs-detail", Static).update(text)

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self) -> None:
        self._show_detail()

    def on_show(self) -> None:
        self.reload()

    def watch_compare(self, old: CompareState | None, new: CompareState | None) -> None:
        """A comparison's progress: each variant's run listed and overlaid as it starts, its steps
        live, its curves at most once a second (reading metrics.jsonl is not free)."""
        shown = self.query_one("#runs-compare", Static)
        shown.update(line(new.line) if new is not None else "")
        shown.display = new is not None
        if new is None:
            return
        started = old is None or len(new.run_dirs) != len(old.run_dirs) or new.done != old.done
        if started:
            self.selected = {Path(d) for d in new.run_dirs}
            self.reload()
        elif new.run_dirs:
            self._live_step(Path(new.run_dirs[-1]), new.step)

    def _live_step(self, path: Path, step: int) -> None:
        table = self.query_one(DataTable)
        if str(path) in table.rows:
            table.update_cell(str(path), table.ordered_columns[5].key, line(str(step)))
        if path in self.selected and time.monotonic() - self._redrawn_at >= 1.0:
            self.redraw()

    def current(self) -> RunSummary | None:
        table = self.query_one(DataTable)
        if not self.runs or table.cursor_row is None or not 0 <= table.cursor_row < len(self.runs):
            return None
        return self.runs[table.cursor_row]

    def action_toggle(self) -> None:
        run = self.current()
        if run is None:
            return
        self.selected ^= {run.path}
        self.query_one(DataTable).update_cell(
            str(run.path), self.query_one(DataTable).ordered_columns[0].key, "●" if run.path in self.selected else " "
        )
        self.redraw()

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_toggle()

    def redraw(self) -> None:
        from rnntui.core.run_history import clean_metrics
        from rnntui.core.runs import RunDir

        loss, grad = self.query_one("#runs-loss", OverlayChart), self.query_one("#runs-grad", OverlayChart)
        loss.series, grad.series = [], []
        for r in self.runs:
            if r.path not in self.selected:
                continue
            records, _ = clean_metrics(RunDir(r.path))
            steps = [x for x in records if x.get("event") == "step"]
            label = run_label(r, self.runs)
            xs = [float(x["step"]) for x in steps]
            loss.series.append((label, xs, [x["loss"] if x["loss"] is not None else float("nan") for x in steps]))
            grad.series.append(
                (label, xs, [x["grad_norm"] if x["grad_norm"] is not None else float("nan") for x in steps])
            )
        loss.replot()
        grad.replot()
        self._redrawn_at = time.monotonic()

    def action_delete(self) -> None:
        run = self.current()
        if run is None:
            return
        if run.status == "running":  # its files are being written: deleting them breaks the run
            self.notify("this run is training: stop it first (space, or c for a comparison)", severity="warning")
            return

        def done(yes: bool | None) -> None:
            if yes:
                shutil.rmtree(run.path, ignore_errors=True)
                self.notify(f"deleted {run.path.name}")
                self.reload()

        detail = f"{run_label(run, [run])} · {run.steps:,} steps · {run.status}"
        self.app.push_screen(ConfirmDelete(run.path.name, detail), done)

    def action_open(self) -> None:
        run = self.current()
        if run is not None:
            self.post_message(OpenRun(run.path))

    def action_reload(self) -> None:
        self.reload()
