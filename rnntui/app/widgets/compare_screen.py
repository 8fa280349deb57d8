"""The compare menu: which axis to vary when training the current network side by side."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from rnntui.app.plain import assemble, line
from rnntui.core.spec_types import ExperimentSpec


def axes(spec: ExperimentSpec) -> list[tuple[str, str]]:
    """(vary override, what it shows) for the comparisons a course makes, given the current spec."""
    clip = spec.train.clip_norm if spec.train.clip_norm is not None else 1.0
    return [
        ("model.cell=rnn_tanh,lstm,gru", "cells: plain RNN vs LSTM vs GRU"),
        ("model.num_layers=1,3", "depth: 1 layer vs 3 stacked layers"),
        ("model.bidirectional=false,true", "direction: unidirectional vs bidirectional"),
        (f"train.clip_norm=none,{clip:g}", f"clipping: none vs clip the gradient norm at {clip:g}"),
    ]


class CompareScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, spec: ExperimentSpec) -> None:
        super().__init__()
        self.spec = spec

    def compose(self) -> ComposeResult:
        with Vertical(id="compare-dialog"):
            yield Static(
                assemble(
                    "Train ",
                    line(self.spec.name, "bold"),
                    " once per variant — same seed, same batches, same data order — and overlay the curves in Runs. "
                    "Enter starts; esc cancels.",
                )
            )
            options = [Option(assemble(label, "  ", line(vary, "dim")), id=vary) for vary, label in axes(self.spec)]
            yield OptionList(*options)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
