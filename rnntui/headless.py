"""Human-readable output for the headless commands (rich is fine here; the core never uses it)."""

from __future__ import annotations

import threading
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from rnntui.core import events as ev
from rnntui.core.predictor import Prediction


def train_with_progress(trainer: Any, stop: threading.Event) -> ev.Finished:
    console = Console(stderr=False)
    spec = trainer.spec
    console.print(
        f"[bold]{escape(spec.name)}[/] · {escape(trainer.start_event().description)} · "
        f"{trainer.model.param_count():,} params · device [bold]{escape(trainer.device_name)}[/]"
    )
    if trainer.run_dir is not None:
        console.print(f"run: {escape(str(trainer.run_dir.path))}")
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task("train", total=spec.train.steps, status="")
        state: dict[str, Any] = {"loss": None, "val": None, "metric": None}

        def on_event(e: ev.Event) -> None:
            if isinstance(e, ev.Progress) and e.points:
                state["loss"] = e.points[-1].loss
                progress.update(bar, completed=e.points[-1].step, status=status_line(state, e))
            elif isinstance(e, ev.Evaluated):
                state["val"], state["metric"] = e.val_loss, (e.metric_name, e.metric)
                for s in e.samples[:1]:
                    progress.console.print(f"[dim]sample @{e.step}:[/] {escape(s[:100])}", highlight=False)
            elif isinstance(e, ev.GoalReached):
                progress.console.print(
                    f"[green]goal reached[/] at step {e.step}: {e.metric} = {e.value:.4g} (goal {e.threshold:g})"
                )
            elif isinstance(e, ev.Diverged):
                progress.console.print(f"[red]diverged[/] at step {e.step}: {escape(e.advice)}")

        finished = trainer.run(stop=stop, on_event=on_event)
    final = finished.final
    parts = [f"{finished.reason} after {finished.step} steps in {finished.elapsed_s:.1f}s"]
    if final.get("val_loss") is not None:
        parts.append(f"val loss {final['val_loss']:.4f}")
    if finished.goal:
        g = finished.goal
        value = "n/a" if g["value"] is None else f"{g['value']:.4g}"
        parts.append(f"goal {g['metric']} {value} ({'met' if g['met'] else 'not met'}, target {g['threshold']:g})")
    console.print(" · ".join(parts))
    if finished.run_dir:
        console.print(f"predict with: rnntui predict {escape(finished.run_dir)} PREFIX")
    return finished


def status_line(state: dict[str, Any], e: ev.Progress) -> str:
    parts = [f"loss {state['loss']:.4f}" if state["loss"] is not None else ""]
    if state["val"] is not None:
        parts.append(f"val {state['val']:.4f}")
    if state["metric"] is not None:
        parts.append(f"{state['metric'][0]} {state['metric'][1]:.3f}")
    parts.append(f"{e.steps_per_s:.0f} steps/s")
    return " · ".join(p for p in parts if p)


def print_prediction(pred: Prediction, generate: int) -> None:
    """The prediction as `rnntui.exported.shared.result_lines` writes it, so the exported programs, which
    carry the same function, print exactly this; every character from the run or the prefix is visible."""
    from rnntui.exported.shared import result_lines

    result = pred.to_json()
    if generate and pred.kind == "lm":
        result |= {"continuation": pred.continuation, "sampled": pred.sampled}
    for line in result_lines(result):
        print(line)
