"""Runs: every run on disk; select several to overlay their curves; delete; open one in Predict."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label, Static

from rnntui.app.messages import OpenRun
from rnntui.app.plain import assemble, join, line
from rnntui.app.widgets.charts import Chart, downsample
from rnntui.core.spec import CELL_LABELS
from rnntui.core.textsafe import one_line

COLORS = ("cyan", "magenta", "orange", "green", "red", "blue", "yellow", "white")


class OverlayChart(Chart):
    """One series per selected run on shared axes, a colour each, with a legend."""

    def __init__(self, title: str, key: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.title_text, self.key = title, key
        self.series: list[tuple[str, list[float], list[float]]] = []

    def replot(self) -> None:
        self.begin(self.title_text)
        for i, (label, xs, ys) in enumerate(self.series):
            x2, y2 = downsample(xs, ys, self.points_budget())
            if x2:
                self.plt.plot(x2, y2, label=label, marker="braille", color=COLORS[i % len(COLORS)])
        self.log_if_wide([y for _, _, ys in self.series for y in ys])
        self.plt.xlabel("step")
        self.refresh()


class ConfirmDelete(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "no", "cancel"), Binding("y", "yes", "delete"), Binding("n", "no", "keep")]

    def __init__(self, name: str) -> None:
        super().__init__()
        self.run_name = name

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Label(assemble("Delete run ", line(self.run_name, "bold"), " and its files? (y / n)"))
            with Horizontal():
                yield Button("Delete", id="yes", variant="error")
                yield Button("Keep", id="no")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


class RunsView(VerticalScroll):
    BINDINGS = [
        Binding("enter", "toggle", "Select", show=True),
        Binding("d", "delete", "Delete run"),
        Binding("o", "open", "Open in Predict"),
        Binding("c", "app.compare", "Compare"),
        Binding("f5", "reload", "Reload"),
    ]

    def __init__(self, runs_dir: Path | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.runs_dir = runs_dir
        self.runs: list[Any] = []
        self.selected: set[Path] = set()

    def compose(self) -> ComposeResult:
        yield Static(
            "enter selects runs to overlay · d deletes · o opens in Predict (and resumes training) · "
            "c compares the loaded network's variants (cells, depth, direction, clipping)",
            id="runs-hint",
        )
        yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="runs-problems")
        yield Static("", id="runs-compare")
        with Horizontal(id="runs-charts"):
            yield OverlayChart("loss", "loss", id="runs-loss")
            yield OverlayChart("gradient norm", "grad_norm", id="runs-grad")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("", "preset", "cell", "dir", "layers", "hidden", "steps", "metric", "goal", "date", "status")

    def reload(self) -> None:
        from rnntui.core.runs import list_runs

        self.runs, problems = list_runs(self.runs_dir)
        self.selected &= {r.path for r in self.runs}
        table = self.query_one(DataTable)
        table.clear()
        for r in self.runs:
            value = "–" if r.value is None else f"{r.metric} {r.value:.3g}"
            goal = "–" if r.goal_met is None else ("met" if r.goal_met else "not met")
            cells = [
                "●" if r.path in self.selected else " ",
                r.name,
                CELL_LABELS.get(r.cell, r.cell),
                "bi" if r.bidirectional else "uni",
                str(r.layers),
                str(r.hidden),
                str(r.steps),
                value,
                goal,
                time.strftime("%m-%d %H:%M", time.localtime(r.created)),
                r.status,
            ]
            # Every cell as Text: a str cell is parsed as markup, and names and statuses are data.
            table.add_row(
                *[line(c) for c in cells],
                key=str(r.path),
            )
        self.query_one("#runs-problems", Static).update(
            join([line(p) for p in problems]) if problems else ("" if self.runs else "no runs yet: train one")
        )
        self.redraw()

    def show_compare(self, text: str) -> None:
        self.query_one("#runs-compare", Static).update(line(text))

    def compared(self, run_dirs: list[str]) -> None:
        """A comparison finished: list its runs and overlay exactly them."""
        self.selected = {Path(d) for d in run_dirs}
        self.reload()

    def current(self) -> Any:
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
        from rnntui.core.export import clean_metrics
        from rnntui.core.runs import RunDir

        loss, grad = self.query_one("#runs-loss", OverlayChart), self.query_one("#runs-grad", OverlayChart)
        loss.series, grad.series = [], []
        for r in self.runs:
            if r.path not in self.selected:
                continue
            records, _ = clean_metrics(RunDir(r.path))
            steps = [x for x in records if x.get("event") == "step"]
            label = one_line(f"{r.name} {r.cell}{' bi' if r.bidirectional else ''} ×{r.layers}")
            xs = [float(x["step"]) for x in steps]
            loss.series.append((label, xs, [x["loss"] if x["loss"] is not None else float("nan") for x in steps]))
            grad.series.append(
                (label, xs, [x["grad_norm"] if x["grad_norm"] is not None else float("nan") for x in steps])
            )
        loss.replot()
        grad.replot()

    def action_delete(self) -> None:
        run = self.current()
        if run is None:
            return

        def done(yes: bool | None) -> None:
            if yes:
                shutil.rmtree(run.path, ignore_errors=True)
                self.notify(f"deleted {run.path.name}")
                self.reload()

        self.app.push_screen(ConfirmDelete(run.path.name), done)

    def action_open(self) -> None:
        run = self.current()
        if run is not None:
            self.post_message(OpenRun(run.path))

    def action_reload(self) -> None:
        self.reload()
