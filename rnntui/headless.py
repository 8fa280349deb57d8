"""Human-readable output for the headless commands (rich is fine here; the core never uses it).

Names, samples, tokens, paths and advice are data: they are printed as `Text` (never markup) with
every control character made visible (core/textsafe.py). `--json` output keeps the exact data.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text

from rnntui.core import events as ev
from rnntui.core.prediction import Prediction
from rnntui.core.textsafe import one_line, sanitize
from rnntui.core.trace_table import Saliency

if TYPE_CHECKING:
    from rnntui.core.trainer import Trainer

Part = str | tuple[str, str]


def safe(*parts: Part, lines: bool = False) -> Text:
    """Output from plain strings and (string, style) pairs: one line, or keeping newlines (`lines`)."""
    shown = sanitize if lines else one_line
    out = Text()
    for part in parts:
        text, style = (part, "") if isinstance(part, str) else part
        out.append(shown(text), style=style)
    return out


def train_with_progress(trainer: Trainer, stop: threading.Event) -> ev.Finished:
    """Train to the end with a progress bar, samples and notices as they come, then one summary line."""
    console = Console(stderr=False)
    print_header(console, trainer)
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
    )
    elapsed_before = trainer.elapsed
    start = trainer.step_count  # a resumed run starts past 0: say how many steps this run took
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task("train", total=trainer.spec.train.steps, status="")
        finished = trainer.run(stop=stop, on_event=progress_reporter(progress, bar))
    console.print(safe(summary(finished, start, trainer.elapsed - elapsed_before)))
    if finished.run_dir:
        console.print(safe("predict with: rnntui predict ", finished.run_dir, " PREFIX"))
    return finished


def print_header(console: Console, trainer: Trainer) -> None:
    console.print(
        safe(
            (trainer.spec.name, "bold"),
            f" · {trainer.start_event().description} · {trainer.model.param_count():,} params · device ",
            (trainer.device_name, "bold"),
        )
    )
    if trainer.run_dir is not None:
        console.print(safe("run: ", str(trainer.run_dir.path)))


def progress_reporter(progress: Progress, bar: TaskID) -> Callable[[ev.Event], None]:
    """The trainer's event handler: moves the bar, prints samples, goals and divergence as they come."""
    state: dict[str, Any] = {"loss": None, "val": None, "metric": None}

    def on_event(e: ev.Event) -> None:
        if isinstance(e, ev.Progress) and e.points:
            state["loss"] = e.points[-1].loss
            progress.update(bar, completed=e.points[-1].step, status=status_line(state, e))
        elif isinstance(e, ev.Evaluated):
            state["val"], state["metric"] = e.val_loss, (e.metric_name, e.metric)
            for s in e.samples[:1]:
                progress.console.print(safe((f"sample @{e.step}: ", "dim"), s[:100]), highlight=False)
        elif isinstance(e, ev.GoalReached):
            progress.console.print(
                safe(
                    ("goal reached", "green"),
                    f" at step {e.step}: {e.metric} = {e.value:.4g} (goal {e.threshold:g})",
                )
            )
        elif isinstance(e, ev.Diverged):
            progress.console.print(safe(("diverged", "red"), f" at step {e.step}: {e.advice}"))

    return on_event


def summary(finished: ev.Finished, start: int, seconds: float) -> str:
    """The final line: why it ended, the steps this run took, the validation loss and the goal."""
    final = finished.final
    done = finished.step - start
    took = f"{done} steps" if not start else f"{done} steps (from step {start} to {finished.step})"
    parts = [f"{finished.reason.value} after {took} in {seconds:.1f}s"]
    if final.get("val_loss") is not None:
        parts.append(f"val loss {final['val_loss']:.4f}")
    if finished.goal:
        g = finished.goal
        value = "n/a" if g["value"] is None else f"{g['value']:.4g}"
        parts.append(f"goal {g['metric']} {value} ({goal_word(g, final.get('val_loss'))}, target {g['threshold']:g})")
    return " · ".join(parts)


def goal_word(goal: dict[str, Any], val_loss: float | None) -> str:
    """met / not met; a metric at its target is not the goal with a loss above the baseline (say so)."""
    baseline = goal.get("baseline")
    if goal["met"]:
        return "met"
    if val_loss is not None and baseline is not None and not val_loss < baseline:
        return f"not met: val loss above the baseline {baseline:.3g}"
    return "not met"


def status_line(state: dict[str, Any], e: ev.Progress) -> str:
    parts = [f"loss {state['loss']:.4f}" if state["loss"] is not None else ""]
    if state["val"] is not None:
        parts.append(f"val {state['val']:.4f}")
    if state["metric"] is not None:
        parts.append(f"{state['metric'][0]} {state['metric'][1]:.3f}")
    parts.append(f"{e.steps_per_s:.0f} steps/s")
    return " · ".join(p for p in parts if p)


def print_prediction(pred: Prediction, sal: Saliency | None = None) -> None:
    """The prediction as `rnntui.exported.shared.result_lines` writes it, so the exported programs, which
    carry the same function, print exactly this; every character from the run or the prefix is visible.
    With `sal` (--saliency), then each fed token with how much it moves the prediction."""
    from rnntui.exported.shared import result_lines

    for line in result_lines(pred.to_json()):
        print(line)
    if sal is not None:
        for line in saliency_lines(pred, sal):
            print(line)


def saliency_lines(pred: Prediction, sal: Saliency) -> list[str]:
    """A header saying what was differentiated, then one row per fed token: the token, its value
    (the largest is 1) and a bar of visible characters."""
    if not sal.applicable or not sal.values:
        return [one_line(f"saliency: {sal.target if not sal.applicable else 'nothing typed'}")]
    rows = [one_line(f"saliency: ‖∂ {sal.target} / ∂ x_t‖ per token, the largest ({sal.scale:.4g}) scaled to 1")]
    if pred.window_start:
        rows.append(f"(the {pred.window_start} tokens before the window are not fed)")
    for tok, v in zip(pred.tokens[pred.window_start :], sal.values, strict=False):
        shown = repr(tok.text) if tok.text.strip() != tok.text or not tok.text else tok.text
        full = round(v * 20)
        rows.append(f"{one_line(shown):>12}  {v:5.3f}  {'█' * full + '·' * (20 - full)}")
    return rows
