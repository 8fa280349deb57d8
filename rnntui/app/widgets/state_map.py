"""The map of the hidden state: the validation set's states projected to 2-D (core/state_map.py)
as a dim cloud, coloured by what the network predicts at each, and the typed prefix's path over
it, its last points labelled by their tokens.

Drawn from plain numbers (MapTable, a frozen value the predictor's process made): no torch here.
The plot is rebuilt only when its data or its size changed (a plotext build of 1,500 points costs
milliseconds on the event loop).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static
from textual_plotext import PlotextPlot

from rnntui.app.widgets.charts import COLORS
from rnntui.app.widgets.heat_layout import token_label
from rnntui.app.widgets.predict_text import shown_token
from rnntui.core.textsafe import one_line
from rnntui.core.trace_table import MapTable, TraceTable

CLASS_COLORS = ("cyan", "magenta", "green", "orange")  # the most shown classes; the rest are gray
OTHER = "gray"
PATH = "white"


@dataclass(frozen=True)
class MapPicture:
    """What the plot shows: the table, the prefix's tokens and the widget's size (any change redraws)."""

    table: MapTable | None
    tokens: tuple[str, ...]
    size: tuple[int, int]


def shown_classes(table: MapTable, limit: int = len(CLASS_COLORS)) -> list[int]:
    """The classes given a colour: the cloud's most frequent, and the one predicted where the path
    ends (where the prefix lands) in the last place if it is not among them; in class order, so a
    class keeps its colour while the prefix is typed."""
    chosen = [c for c, _ in Counter(table.cloud.classes).most_common(limit)]
    end = [c for c in table.classes[-1:] if c >= 0 and c not in chosen]
    return sorted(chosen[: limit - len(end)] + end)


def max_labels(width: int, height: int) -> int:
    """How many of the last steps may be labelled: about one every 10 columns, 2 a row at most."""
    return max(2, min(width // 10, 2 * height))


class StateMapPlot(PlotextPlot):
    DEFAULT_CSS = "StateMapPlot { height: 1fr; min-height: 5; }"

    def on_mount(self) -> None:
        super().on_mount()
        self.picture = MapPicture(None, (), (0, 0))

    def show(self, table: MapTable | None, tokens: tuple[str, ...]) -> bool:
        """Draw `table` (with the prefix's `tokens`); False when nothing changed and nothing was drawn."""
        picture = MapPicture(table, tokens, (self.size.width, self.size.height))
        if picture == self.picture:
            return False
        self.picture = picture
        self.replot()
        return True

    def on_resize(self) -> None:
        self.show(self.picture.table, self.picture.tokens)

    def replot(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.frame(False)  # the axes' numbers mean little here, and 80×24 has rows to spare for none
        plt.xticks([])
        plt.yticks([])
        table = self.picture.table
        if table is not None and table.cloud.xs:
            grid = Grid.around(table, self.size.width, self.size.height)
            plt.xlim(grid.x0, grid.x1)
            plt.ylim(grid.y0, grid.y1)
            self._cloud(table, grid)
            self._path(table, self.picture.tokens, grid)
        self.refresh()

    def _cloud(self, table: MapTable, grid: Grid) -> None:
        cloud = table.cloud
        colours = dict(zip(shown_classes(table), CLASS_COLORS, strict=False))
        classes = cloud.classes or (-1,) * len(cloud.xs)
        groups: dict[str, tuple[list[float], list[float]]] = {}
        for x, y, c in zip(cloud.xs, cloud.ys, classes, strict=True):
            xs, ys = groups.setdefault(colours.get(c, OTHER), ([], []))
            xs.append(x)
            ys.append(y)
        for colour in [OTHER, *reversed(CLASS_COLORS)]:  # the grey ones under the coloured
            if colour in groups:
                self.plt.scatter(*grid.thin(*groups[colour]), marker="braille", color=colour, style="dim")

    def _path(self, table: MapTable, tokens: tuple[str, ...], grid: Grid) -> None:
        xs, ys = list(table.xs), list(table.ys)
        if not xs:
            return
        plt = self.plt
        if len(xs) > 1:  # plotext's own lines cost ~13 ms for 20 points: the dots along them, once each
            plt.scatter(*grid.line(xs, ys), marker="braille", color=PATH)
        plt.scatter(xs, ys, marker="dot", color=PATH)
        for i, label in grid.labels(xs, ys, tokens, most=max_labels(self.size.width, self.size.height)):
            plt.text(label, xs[i], ys[i], color=PATH, style="bold" if i == len(xs) - 1 else None)


@dataclass(frozen=True)
class Grid:
    """The plot's braille dots (2 × 4 a cell) over the data's range. plotext's build time grows with
    the points it is given (1,500 cost ~35 ms on the event loop): points that land on the same dot
    are given once, which draws the same picture."""

    x0: float
    x1: float
    y0: float
    y1: float
    cols: int  # braille dots across
    rows: int  # and down

    @classmethod
    def around(cls, table: MapTable, width: int, height: int) -> Grid:
        xs, ys = table.cloud.xs + table.xs, table.cloud.ys + table.ys
        pad_x, pad_y = 0.02 * (max(xs) - min(xs)) or 1.0, 0.02 * (max(ys) - min(ys)) or 1.0
        return cls(min(xs) - pad_x, max(xs) + pad_x, min(ys) - pad_y, max(ys) + pad_y, 2 * width, 4 * height)

    def dot(self, x: float, y: float) -> tuple[int, int]:
        return (
            round((x - self.x0) / (self.x1 - self.x0) * (self.cols - 1)),
            round((y - self.y0) / (self.y1 - self.y0) * (self.rows - 1)),
        )

    def thin(self, xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
        """One point per dot."""
        seen: dict[tuple[int, int], tuple[float, float]] = {}
        for x, y in zip(xs, ys, strict=True):
            seen.setdefault(self.dot(x, y), (x, y))
        return [p[0] for p in seen.values()], [p[1] for p in seen.values()]

    def labels(self, xs: list[float], ys: list[float], tokens: tuple[str, ...], most: int) -> list[tuple[int, str]]:
        """(step, label) for the last steps whose label has room: from the newest back, a label that
        would overwrite one already placed (or touch it) is left out, so the newest stay readable."""
        placed: dict[int, list[tuple[int, int]]] = {}  # text row → the column spans taken
        out: list[tuple[int, str]] = []
        for i in range(len(xs) - 1, -1, -1):
            if len(out) == most:
                break
            label = token_label(tokens[i] if i < len(tokens) else "")
            col, dot_row = self.dot(xs[i], ys[i])
            row, start = (self.rows - 1 - dot_row) // 4, col // 2
            span = (start - 1, start + len(label) + 1)
            if any(a < span[1] and span[0] < b for a, b in placed.get(row, [])):
                continue
            placed.setdefault(row, []).append(span)
            out.append((i, label))
        return out

    def line(self, xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
        """The dots along the segments between consecutive points."""
        out_x: list[float] = []
        out_y: list[float] = []
        for (xa, ya), (xb, yb) in zip(zip(xs, ys, strict=True), zip(xs[1:], ys[1:], strict=True), strict=False):
            (ca, ra), (cb, rb) = self.dot(xa, ya), self.dot(xb, yb)
            n = max(abs(cb - ca), abs(rb - ra), 1)
            out_x += [xa + (xb - xa) * k / n for k in range(n + 1)]
            out_y += [ya + (yb - ya) * k / n for k in range(n + 1)]
        return self.thin(out_x, out_y)


def legend(table: MapTable | None) -> Text:
    """What the colours mean and what the axes are, on one or two lines."""
    if table is None:
        return Text("the map appears when the validation states are projected (at the next prediction)", style="dim")
    out = Text()
    names = table.cloud.names
    for c, colour in zip(shown_classes(table), CLASS_COLORS, strict=False):
        out.append("• ", style=COLORS.get(colour, colour))
        out.append(one_line(shown_token(names[c])) if 0 <= c < len(names) else "?")
        out.append("  ")
    if len(set(table.cloud.classes)) > len(CLASS_COLORS):
        out.append("• ", style=COLORS[OTHER])
        out.append("other  ")
    out.append("━ ", style="bold")
    out.append("the prefix  ")
    x, y = table.cloud.explained
    out.append(f"axes: {x:.0%} and {y:.0%} of the variance", style="dim")
    return out


class StateMapPanel(Vertical):
    """The map, its title and its legend: what the Predict view shows in the heatmap's place (m)."""

    DEFAULT_CSS = """
    StateMapPanel { height: 1fr; }
    StateMapPanel > #map-title { height: 1; }
    StateMapPanel > #map-legend { height: auto; }
    """
    TITLE = "map of the hidden state: PCA of the validation states, coloured by prediction"

    def compose(self) -> ComposeResult:
        yield Static(Text(self.TITLE, style="bold", overflow="ellipsis", no_wrap=True), id="map-title")
        yield StateMapPlot(id="map-plot")
        yield Static("", id="map-legend")

    def show(self, table: MapTable | None, tokens: tuple[str, ...], note: str | None = None) -> None:
        if not self.query_one(StateMapPlot).show(table, tokens) and table is not None:
            return
        self.query_one("#map-legend", Static).update(Text(one_line(note), style="dim") if note else legend(table))


class ShowsStateMap(Widget):
    """The Predict view's key for the map: m puts it in the heatmap's place (CSS class -map, app.tcss
    hides the heatmap and its controls) and back."""

    BINDINGS = [
        Binding(
            "m",
            "toggle_map",
            "map",
            tooltip="heatmap ↔ map of the hidden state: the prefix's path over the validation states (PCA)",
        )
    ]
    table: TraceTable  # the view's latest prediction as plain numbers
    request_prediction: Callable[[], None]  # the view asks for its prefix (with the map while it is shown)

    def action_toggle_map(self) -> None:
        focused = self.app.focused
        if focused is not None and any(node.id == "heat-controls" for node in focused.ancestors):
            self.focus()  # the focused field goes out of sight with the heatmap's controls
        self.toggle_class("-map")
        if self.has_class("-map"):
            self.request_prediction()  # with the prefix's path on the map (fitted now if it is stale)
        self.render_map()

    def render_map(self) -> None:
        if self.has_class("-map"):
            self.query_one(StateMapPanel).show(self.table.map, self.table.tokens, self.table.map_note)
