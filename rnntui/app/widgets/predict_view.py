"""Predict: type a prefix, see the prediction and the hidden state change with every keystroke."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Label, Select, Static

from rnntui.app.widgets.heatmap import Heatmap, coloured_prefix, heat_text
from rnntui.core.errors import HuntError

MAX_INPUT = 100_000


def prob_bar(p: float, width: int = 24) -> str:
    full = max(0, min(width, round(p * width)))
    return "█" * full + "░" * (width - full)


def shown_token(tok: str) -> str:
    if tok == " ":
        return "␣"
    if tok == "\n":
        return "↵"
    return tok if tok.isprintable() else repr(tok)


class PredictView(VerticalScroll):
    def compose(self) -> ComposeResult:
        yield Label("", id="predict-hint")
        yield Input(placeholder="type a prefix…", id="prefix", max_length=MAX_INPUT)
        yield Static("", id="predict-notice")
        with Horizontal(id="predict-top"):
            yield Static("", id="prediction")
            yield Static("", id="continuation")
        with Horizontal(id="heat-controls"):
            yield Select([("layer 1", (0, 0))], id="layer", allow_blank=False)
            yield Select([("hidden h", "hidden")], id="quantity", allow_blank=False)
            yield Input(placeholder="neuron hunt: a regex, e.g. [AEIOU]", id="hunt")
            yield Input(placeholder="unit #", id="unit", type="integer")
        yield Static("", id="hunt-result")
        yield Static("", id="coloured")
        with Vertical(id="heat-box"):
            yield Heatmap("", id="heatmap")

    def on_mount(self) -> None:
        self.predictor: Any = None
        self.prediction: Any = None
        self.unit: int | None = None

    # ---- configuration -----------------------------------------------------------------------
    def set_predictor(self, predictor: Any, hint: str) -> None:
        self.predictor = predictor
        self.query_one("#predict-hint", Label).update(escape(hint) + "   [dim](esc leaves the input)[/dim]")
        m = predictor.model
        dirs = m.num_directions
        options = []
        for layer in range(m.spec.num_layers):
            for d in range(dirs):
                label = f"layer {layer + 1}" + ((" →" if d == 0 else " ←") if dirs == 2 else "")
                options.append((label, (layer, d)))
        self.query_one("#layer", Select).set_options(options)
        quantities = [("hidden h", "hidden")]
        if m.spec.cell == "lstm":
            quantities += [
                ("cell c", "cell"),
                ("input gate i", "i"),
                ("forget gate f", "f"),
                ("candidate g", "g"),
                ("output gate o", "o"),
            ]
        elif m.spec.cell == "gru":
            quantities += [("reset gate r", "r"), ("update gate z", "z"), ("candidate n", "n")]
        self.query_one("#quantity", Select).set_options(quantities)
        self.refresh_prediction()

    def weights_changed(self) -> None:
        if self.display:
            self.refresh_prediction()

    # ---- events ------------------------------------------------------------------------------
    @on(Input.Changed, "#prefix")
    def _prefix_changed(self) -> None:
        self.refresh_prediction()

    @on(Select.Changed, "#layer")
    @on(Select.Changed, "#quantity")
    def _heat_changed(self) -> None:
        self.render_heatmap()

    @on(Input.Submitted, "#hunt")
    def _hunt(self) -> None:
        self.run_hunt()

    @on(Input.Changed, "#unit")
    def _unit_changed(self, event: Input.Changed) -> None:
        try:
            self.unit = int(event.value) if event.value.strip() else None
        except ValueError:
            self.unit = None
        self.render_heatmap()
        self.render_coloured()

    # ---- drawing -----------------------------------------------------------------------------
    def refresh_prediction(self) -> None:
        if self.predictor is None:
            return
        prefix = self.query_one("#prefix", Input).value
        try:
            pred = self.predictor.feed(prefix, generate=40, temperature=0.8, seed=0)
        except Exception as exc:  # never let a keystroke take the app down
            self.query_one("#predict-notice", Static).update(f"[b]could not predict:[/b] {escape(str(exc))}")
            return
        self.prediction = pred
        self.query_one("#predict-notice", Static).update(escape(pred.notice) if pred.notice else "")
        self.query_one("#prediction", Static).update(self.render_output(pred))
        cont = self.query_one("#continuation", Static)
        if pred.kind == "lm" and (pred.continuation or pred.sampled):
            tail = prefix[-30:]
            cont.update(
                Text.assemble(
                    ("greedy   ", "bold"),
                    (tail, "dim"),
                    (pred.continuation, ""),
                    "\n",
                    ("sampled  ", "bold"),
                    (tail, "dim"),
                    (pred.sampled, ""),
                    (" (T=0.8)", "dim"),
                )
            )
        else:
            cont.update("")
        self.render_heatmap()
        self.render_coloured()

    def render_output(self, pred: Any) -> str:
        lines: list[str] = []
        if pred.kind == "lm":
            lines.append("[b]next token[/b]")
            for tok, p in pred.next:
                lines.append(f"{escape(shown_token(tok)):>6} {p:6.3f} {prob_bar(p)}")
        elif pred.kind == "classify":
            lines.append("[b]class after the whole prefix[/b]")
            for c, p in pred.classes:
                lines.append(f"{escape(c):>10} {p:6.3f} {prob_bar(p)}")
            if pred.per_step:
                steps = " ".join(
                    f"{escape(t.text)}→{c[:3]}" for t, (c, _) in zip(pred.tokens, pred.per_step, strict=False)
                )
                lines.append(f"[dim]after each word:[/dim] {steps[-300:]}")
        elif pred.kind == "tag":
            lines.append("[b]tag per token[/b]")
            for tok, tag, p in pred.tags[-20:]:
                lines.append(f"{escape(tok):>12}  [b]{escape(tag):<6}[/b] {p:5.2f}")
        elif pred.kind == "regress":
            lines.append("[b]forecast[/b]")
            if pred.forecasts:
                lines.append(f"next value  [b]{pred.forecasts[-1]:.4f}[/b]")
                history = ", ".join(f"{v:.3f}" for v in pred.forecasts[-8:])
                lines.append(f"[dim]after each step: {history}[/dim]")
        else:
            lines.append("[b]output sequence[/b]")
            lines.append(escape(" ".join(pred.output)) or "[dim](type the input)[/dim]")
        return "\n".join(lines)

    def render_heatmap(self) -> None:
        pred = self.prediction
        if pred is None:
            return
        layer_dir = self.query_one("#layer", Select).value
        what = self.query_one("#quantity", Select).value
        layer, direction = layer_dir if isinstance(layer_dir, tuple) else (0, 0)
        what = what if isinstance(what, str) else "hidden"
        mat = pred.matrix(what, layer, direction)
        rows = mat.tolist() if mat.numel() else []
        tokens = [s.token.text for s in pred.steps]
        signed = what in ("hidden", "cell", "g", "n")
        title = Text.assemble((f"{what} · layer {layer + 1}{' ←' if direction else ''} · units × steps\n", "bold"))
        self.query_one(Heatmap).update(title + heat_text(rows, tokens, signed=signed, highlight=self.unit))

    def run_hunt(self) -> None:
        from rnntui.core.hunt import hunt

        regex = self.query_one("#hunt", Input).value
        prefix = self.query_one("#prefix", Input).value
        out = self.query_one("#hunt-result", Static)
        if not regex or self.predictor is None:
            out.update("type a regex and press enter: units whose activation follows its matches are ranked")
            return
        try:
            units, _ = hunt(self.predictor, prefix, regex, top=5)
        except HuntError as exc:
            out.update(f"[b]neuron hunt:[/b] {escape(str(exc))}")
            return
        if not units:
            out.update("neuron hunt: type some text first")
            return
        best = units[0]
        self.query_one("#layer", Select).value = (best.layer, best.direction)
        self.query_one("#unit", Input).value = str(best.unit)
        ranked = ", ".join(f"{escape(u.label())} r={u.score:+.2f}" for u in units)
        out.update(f"[b]units tracking {escape(regex)}:[/b] {ranked}")
        self.refresh_prediction()

    def render_coloured(self) -> None:
        from rnntui.core.hunt import unit_activation_per_char

        target = self.query_one("#coloured", Static)
        pred = self.prediction
        if pred is None or self.unit is None:
            target.update("")
            return
        layer_dir = self.query_one("#layer", Select).value
        layer, direction = layer_dir if isinstance(layer_dir, tuple) else (0, 0)
        hidden = pred.steps[0].hidden if pred.steps else None
        if hidden is None or not 0 <= self.unit < hidden.shape[-1]:
            target.update(f"[dim]unit {self.unit} is not in this layer[/dim]")
            return
        prefix = pred.prefix[-2000:]
        offset = len(pred.prefix) - len(prefix)
        values = unit_activation_per_char(pred, pred.prefix, layer, direction, self.unit)[offset:]
        target.update(Text.assemble((f"unit {self.unit}: ", "bold"), coloured_prefix(prefix, values)))
