"""Runs: every run on disk; select several to overlay their curves; delete; open one in Predict.

The folder is read, and a run deleted, in a worker thread (app/runs_scan.py) whose result arrives
as a message: the table stays usable meanwhile. The app's own run is shown live from the training
state (its run.json is written only when it ends): its step, metric and whether it trains or is
paused, its curves as Train draws them.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.reactive import reactive, var
from textual.widgets import DataTable, Static

from rnntui.app.comparison import CompareState
from rnntui.app.messages import OpenRun
from rnntui.app.plain import assemble, join, line
from rnntui.app.runs_scan import Curve, CurveCache, delete_run, scan
from rnntui.app.state import TrainingState
from rnntui.app.widgets.charts import ChartPanel, ChartRow, tab_text
from rnntui.app.widgets.runs_table import METRIC_SHORT, Fit, Live, fit_table, live_run, run_label
from rnntui.app.widgets.runs_widgets import ConfirmDelete, OverlayChart, RunDeleted, RunsScanned, RunsTable

if TYPE_CHECKING:  # torch-side modules: importing them here would import torch on the UI thread
    from rnntui.core.run_list import RunSummary

__all__ = ["ConfirmDelete", "OverlayChart", "RunsView"]

OVERLAYS = (("loss", "loss"), ("grad", "gradient norm"))
CHART_KEYS = Binding.Group("chart", compact=True)
LIVE_CURVES_EVERY_S = 1.0  # a comparison's curves are read from disk at most this often


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

    compare: reactive[CompareState | None] = var(None, always_update=True)
    training: reactive[TrainingState] = var(TrainingState(), always_update=True)

    def __init__(self, runs_dir: Path | None = None, **kwargs: str) -> None:
        super().__init__(**kwargs)
        self.runs_dir = runs_dir
        self.runs: list[RunSummary] = []
        self.selected: set[Path] = set()
        self.overlay = 0
        self.scanning = False  # a scan was asked for and has not answered yet (tests wait on it)
        self._ticket = 0
        self._cache = CurveCache()
        self._curves: dict[Path, Curve] = {}
        self._live: Live | None = None
        self._curves_read_at = 0.0

    def compose(self) -> ComposeResult:
        yield RunsTable(id="runs-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="runs-detail")
        yield Static("", id="runs-problems")
        yield Static("", id="runs-compare")
        yield Static("", id="runs-tabs")
        with ChartRow(id="runs-charts"):
            for key, label in OVERLAYS:
                chart = OverlayChart(label, "loss" if key == "loss" else "grad_norm", id=f"runs-{key}")
                yield ChartPanel(chart, id=f"overlay-{key}", empty="enter selects a run: its curve appears here")

    def on_mount(self) -> None:
        self._show_tabs()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "overlay":
            return self.app.has_class("-narrow")  # both charts are on screen otherwise
        return True

    def action_overlay(self, step: int) -> None:
        self.overlay = (self.overlay + step) % len(OVERLAYS)
        self._show_tabs()
        self._draw_overlay()

    def _show_tabs(self) -> None:
        self.query_one("#runs-tabs", Static).update(tab_text([label for _, label in OVERLAYS], self.overlay))
        for i, (key, _) in enumerate(OVERLAYS):
            self.query_one(f"#overlay-{key}").set_class(i == self.overlay, "-current")

    # ---- reading the folder (in a thread) ------------------------------------------------------
    def reload(self) -> None:
        """List the runs folder again, and read the selected runs' curves (in a worker)."""
        self._request(relist=True)

    def _request(self, relist: bool) -> None:
        self._ticket += 1
        self.scanning = True
        runs = None if relist else tuple(self.runs)
        self._scan(self._ticket, frozenset(self.selected), runs)

    @work(thread=True, group="runs-scan", exit_on_error=False)
    def _scan(self, ticket: int, selected: frozenset[Path], runs: tuple[RunSummary, ...] | None) -> None:
        self.post_message(RunsScanned(scan(self.runs_dir, selected, self._cache, runs), ticket))

    @on(RunsScanned)
    def _scanned(self, message: RunsScanned) -> None:
        if message.ticket != self._ticket:
            return  # a newer request is on its way
        self.scanning = False
        self._curves = message.scan.curves
        if message.scan.runs is not None or message.scan.problems:
            runs = self.runs if message.scan.runs is None else list(message.scan.runs)
            self._show_runs(runs, list(message.scan.problems))
        self._draw_overlay()

    def _show_runs(self, runs: list[RunSummary], problems: list[str]) -> None:
        self.runs = runs
        self.selected &= {r.path for r in runs}
        self._populate()
        shown = self.query_one("#runs-problems", Static)
        shown.update(join([line(p) for p in problems]) if problems else ("" if runs else "no runs yet: train one"))
        shown.display = bool(problems) or not runs

    # ---- the table -------------------------------------------------------------------------------
    def _populate(self) -> None:
        self.query_one(RunsTable).show_runs(self.runs, self.selected, self._live, self.content_size.width)
        self._show_detail()

    def on_resize(self) -> None:
        table = self.query_one(RunsTable)
        room = table.room(self.content_size.width, len(self.runs))
        if self.runs and fit_table(self.runs, self.selected, self._live, room) != table.fit:
            self._populate()

    def _show_detail(self) -> None:
        """The run under the cursor: its folder, when it started, and its metric's full name when the
        table shortens it."""
        run = self.current()
        text = Text(no_wrap=True, overflow="ellipsis")
        if run is not None:
            if self.query_one(RunsTable).fit not in (None, Fit()) and run.metric in METRIC_SHORT:
                text.append_text(assemble(line(run.metric), ("  ·  ", "dim")))
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(run.created))
            text.append_text(assemble(line(run.path.name, "bold"), ("  started ", "dim"), when))
        self.query_one("#runs-detail", Static).update(text)

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self) -> None:
        self._show_detail()

    def on_show(self) -> None:
        self.reload()

    def current(self) -> RunSummary | None:
        table = self.query_one(DataTable)
        if not self.runs or table.cursor_row is None or not 0 <= table.cursor_row < len(self.runs):
            return None
        return self.runs[table.cursor_row]

    # ---- the app's own run, live ---------------------------------------------------------------
    def watch_training(self, old: TrainingState, new: TrainingState) -> None:
        if not self.is_mounted:
            return
        if new.lesson != old.lesson:
            self._forget_comparison()
        live = live_run(new)
        if live != self._live:
            self._live = live
            self._show_live(live)
        ended = old.phase.in_run and not new.phase.in_run
        if (ended or new.run_dir != old.run_dir) and self.display:
            self.reload()  # its folder has its final files now (or a new run has one)
        elif live is not None and live.path in self.selected and new.curves is not old.curves:
            self._draw_overlay(live=True)

    def _show_live(self, live: Live | None) -> None:
        if live is None:
            return
        table = self.query_one(RunsTable)
        run = next((r for r in self.runs if r.path == live.path), None)
        if run is None or str(live.path) not in table.rows or table.fit is None:
            if self.display and not self.scanning:
                self.reload()  # a run this listing does not have yet
        elif not table.show_live(run, run.path in self.selected, live, self.content_size.width):
            self._populate()  # the live numbers need a tighter fit

    def _forget_comparison(self) -> None:
        """A finished comparison's line goes once something else is loaded or overlaid."""
        if self.compare is not None and self.compare.done:
            self.query_one("#runs-compare", Static).display = False

    # ---- comparisons -----------------------------------------------------------------------------
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
        if str(path) in table.rows and "steps" in table.columns:
            table.update_cell(str(path), "steps", line(str(step)))
        if path in self.selected and time.monotonic() - self._curves_read_at >= LIVE_CURVES_EVERY_S:
            self._curves_read_at = time.monotonic()
            self._request(relist=False)

    # ---- the overlay -----------------------------------------------------------------------------
    def action_toggle(self) -> None:
        run = self.current()
        if run is None:
            return
        self.selected ^= {run.path}
        self.query_one(DataTable).update_cell(str(run.path), "sel", "●" if run.path in self.selected else " ")
        self._forget_comparison()
        self._request(relist=False)  # its curves, read in the worker

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_toggle()

    def _draw_overlay(self, live: bool = False) -> None:
        """The selected runs' curves: the app's own run's from the state, the others' as read.
        `live`: only the live run's curves moved, redrawn when the chart's timer says."""
        loss, grad = self.query_one("#runs-loss", OverlayChart), self.query_one("#runs-grad", OverlayChart)
        loss.series, grad.series = [], []
        own = self._live.path if self._live is not None else None
        for r in self.runs:
            curve = self._curves.get(r.path)
            if r.path == own:
                c = self.training.curves
                curve = Curve(tuple(map(float, c.steps)), c.losses, c.grad_norms)
            if r.path not in self.selected or curve is None:
                continue
            label = run_label(r, self.runs)
            loss.series.append((label, curve.steps, curve.losses))
            grad.series.append((label, curve.steps, curve.grad_norms))
        for chart in (loss, grad):
            if live:
                chart.mark_dirty()
            else:
                chart.replot()

    # ---- deleting and opening --------------------------------------------------------------------
    def action_delete(self) -> None:
        run = self.current()
        if run is None:
            return
        training = self._live is not None and self._live.path == run.path
        if run.status == "running" or training:  # its files are being written: deleting them breaks the run
            self.notify("this run is training: stop it first (space, or c for a comparison)", severity="warning")
            return

        def done(yes: bool | None) -> None:
            if yes:
                self._delete(run.path)

        detail = f"{run_label(run, [run])} · {run.steps:,} steps · {run.status}"
        self.app.push_screen(ConfirmDelete(run.path.name, detail), done)

    @work(thread=True, group="runs-delete", exit_on_error=False)
    def _delete(self, path: Path) -> None:
        self.post_message(RunDeleted(path, delete_run(path)))

    @on(RunDeleted)
    def _deleted(self, message: RunDeleted) -> None:
        if message.error:
            self.notify(f"could not delete {message.error}", severity="error")
        else:
            self.notify(f"deleted {message.path.name}")
        self.reload()

    def action_open(self) -> None:
        run = self.current()
        if run is not None:
            self.post_message(OpenRun(run.path))

    def action_reload(self) -> None:
        self.reload()
