"""Command line: the app by default, headless `presets`, `train`, `predict`, `hunt`, `resume`,
`compare`, `export`, and `serve` (the app in a browser).

Every user error exits 2 with one line on stderr (no traceback). Heavy imports (torch) happen
inside the commands that need them, so `--version` and `--help` are instant.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any, NoReturn

from rnntui import __version__
from rnntui.core.textsafe import one_line


class UserError(Exception):
    """Printed as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, one_line(f"{self.prog}: error: {message} (see {self.prog} --help)") + "\n")


def build_parser() -> Parser:
    p = Parser(prog="rnntui", description="A terminal playground for recurrent neural networks.")
    p.add_argument("--version", action="version", version=f"rnntui {__version__}")
    p.add_argument("--preset", help="open the app with this preset loaded")
    p.add_argument("--runs-dir", help="where runs are saved (default: the user data dir; or RNNTUI_RUNS_DIR)")
    sub = p.add_subparsers(dest="command", parser_class=Parser)

    pr = sub.add_parser("presets", help="list the presets")
    pr.add_argument("--json", action="store_true", help="one JSON object per preset")

    tr = sub.add_parser("train", help="train a preset (or a TOML file) headless")
    tr.add_argument("preset", metavar="PRESET_OR_TOML")
    tr.add_argument("--steps", type=int)
    tr.add_argument("--seed", type=int)
    tr.add_argument("--device", help="auto, cpu, cuda or mps")
    tr.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a setting, e.g. --set model.cell=gru (repeatable)",
    )
    tr.add_argument("--runs-dir", dest="train_runs_dir", help="where the run directory is created")
    tr.add_argument("--json", action="store_true", help="one JSON object per event")

    rs = sub.add_parser("resume", help="continue a run from its checkpoint (same run directory)")
    rs.add_argument("run_dir", metavar="RUN_DIR")
    rs.add_argument("--steps", type=int, help="new total number of steps (default: the run's)")
    rs.add_argument("--device", help="auto, cpu, cuda or mps")
    rs.add_argument("--json", action="store_true", help="one JSON object per event")

    cp = sub.add_parser("compare", help="train variants of a preset with the same seed and batches")
    cp.add_argument("preset", metavar="PRESET_OR_TOML")
    cp.add_argument("--cells", help="comma-separated cells, e.g. rnn_tanh,lstm,gru")
    cp.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="SECTION.KEY=V1,V2",
        help="any setting as the varied axis, e.g. model.num_layers=1,3 (repeatable)",
    )
    cp.add_argument("--steps", type=int)
    cp.add_argument("--seed", type=int)
    cp.add_argument("--device", help="auto, cpu, cuda or mps")
    cp.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE")
    cp.add_argument("--runs-dir", dest="train_runs_dir")
    cp.add_argument("--json", action="store_true", help="one JSON object per variant")

    ex = sub.add_parser("export", help="a run as a PyTorch, Keras or ONNX program with its weights, or its metrics")
    ex.add_argument("run_dir", metavar="RUN_DIR")
    ex.add_argument("--format", required=True, choices=("pytorch", "keras", "onnx", "csv", "jsonl"))
    ex.add_argument("--out", help="the .py program (its weights go beside it), the metrics file, or a folder")
    ex.add_argument("--force", action="store_true", help="replace files that exist")

    pd = sub.add_parser("predict", help="feed a prefix to a trained run")
    pd.add_argument("run_dir", metavar="RUN_DIR")
    pd.add_argument("prefix", metavar="PREFIX")
    pd.add_argument("--top", type=int, default=5, help="how many next tokens to list")
    pd.add_argument("--json", action="store_true")
    pd.add_argument("--trace", action="store_true", help="add the per-step hidden state, cell and gates")
    pd.add_argument("--generate", type=int, default=0, metavar="N", help="continue the text by N tokens")
    pd.add_argument("--temperature", type=float, default=1.0, help="for the sampled continuation")
    pd.add_argument("--seed", type=int, default=0, help="for the sampled continuation")

    sv = sub.add_parser("serve", help="serve the app to a web browser (textual-serve)")
    sv.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1; other hosts get a warning (plain HTTP)")
    sv.add_argument("--port", type=int, default=8000)
    sv.add_argument(
        "--max-sessions", type=int, default=2, metavar="N", help="browser tabs (app processes) at once; default 2"
    )
    sv.add_argument(
        "--no-token", action="store_true", help="open the page without the printed token (loopback hosts only)"
    )

    hu = sub.add_parser("hunt", help="rank hidden units by how well they track a regex's matches")
    hu.add_argument("run_dir", metavar="RUN_DIR")
    hu.add_argument("text", metavar="TEXT")
    hu.add_argument("regex", metavar="REGEX")
    hu.add_argument("--top", type=int, default=10)
    hu.add_argument("--json", action="store_true")
    return p


def clean(obj: Any) -> Any:
    """JSON has no NaN/Inf: write them as null so every line parses anywhere."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean(v) for v in obj]
    return obj


# JSON escapes C0 controls itself; C1 controls (0x9B is a one-byte CSI), bidirectional overrides and
# line separators are legal raw in JSON but act on a terminal: written as \uXXXX they keep the exact data.
_JSON_ESCAPES = {c: f"\\u{c:04x}" for c in (*range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A))}
_JSON_ESCAPES.update({0x2028: "\\u2028", 0x2029: "\\u2029"})


def emit_json(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(clean(obj), ensure_ascii=False).translate(_JSON_ESCAPES) + "\n")
    sys.stdout.flush()


# ---- commands ------------------------------------------------------------------------------------
def cmd_presets(args: argparse.Namespace) -> int:
    from rnntui.core.presets import discover, sorted_entries

    for e in sorted_entries(discover()):
        if args.json:
            if e.spec is None:
                emit_json({"name": e.name, "error": e.error, "path": str(e.path)})
            else:
                emit_json(
                    {
                        "name": e.name,
                        "title": e.spec.title,
                        "pattern": e.spec.model.pattern,
                        "cell": e.spec.model.cell,
                        "task": e.spec.task.name,
                        "path": str(e.path),
                    }
                )
        elif e.spec is None:
            print(one_line(f"{e.name:<14} ERROR  {e.error}"))
        else:
            print(one_line(f"{e.name:<14} {e.spec.model.pattern:<16} {e.spec.model.cell:<9} {e.spec.title}"))
    return 0


def load_spec(args: argparse.Namespace) -> Any:
    from rnntui.core.presets import resolve
    from rnntui.core.spec import apply_overrides, set_value, validate

    spec = resolve(args.preset)
    spec = apply_overrides(spec, args.overrides)
    if args.steps is not None:
        spec = set_value(spec, "train", "steps", args.steps)
    if args.seed is not None:
        spec = set_value(spec, "train", "seed", args.seed)
    if args.device is not None:
        spec = set_value(spec, "train", "device", args.device)
    validate(spec)
    return spec


def cmd_train(args: argparse.Namespace) -> int:
    from rnntui.core.device import resolve_device
    from rnntui.core.runs import RunDir
    from rnntui.core.trainer import Trainer

    spec = load_spec(args)
    device = resolve_device(spec.train.device)
    base = args.train_runs_dir or args.runs_dir
    from rnntui.core.experiment import build_task

    task = build_task(spec.task)  # reads user files now, so their errors come before a run dir exists
    run = RunDir.create(base, spec)
    trainer = Trainer(spec, run=run, task=task, device=device)
    stop, previous = sigint_stop()  # Ctrl+C: the trainer finishes the step, saves, reports "stopped"
    try:
        if args.json:
            finished = trainer.run(stop=stop, on_event=lambda e: emit_json(event_json(e)))
        else:
            from rnntui.headless import train_with_progress

            finished = train_with_progress(trainer, stop)
    finally:
        signal.signal(signal.SIGINT, previous)
    return 0 if finished.reason != "error" else 1


def event_json(e: Any) -> dict[str, Any]:
    """An event as JSON; a finished line without a goal leaves the key out rather than null."""
    d = e.to_dict()
    if d["event"] == "finished" and d.get("goal") is None:
        d.pop("goal")
    return d


def sigint_stop() -> tuple[threading.Event, Any]:
    """Ctrl+C sets the event (the trainer saves and stops); a second Ctrl+C interrupts."""
    stop = threading.Event()

    def on_sigint(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    return stop, signal.signal(signal.SIGINT, on_sigint)


def cmd_resume(args: argparse.Namespace) -> int:
    from rnntui.core.device import resolve_device
    from rnntui.core.runs import RunDir
    from rnntui.core.spec import set_value
    from rnntui.core.trainer import Trainer

    run = RunDir.open(args.run_dir)
    spec = run.load().spec
    if args.steps is not None:
        spec = set_value(spec, "train", "steps", args.steps)
    if args.device is not None:
        spec = set_value(spec, "train", "device", args.device)
    trainer = Trainer.resume(run, device=resolve_device(spec.train.device), spec=spec)
    if trainer.step_count >= spec.train.steps:
        raise UserError(f"the run is already at step {trainer.step_count}; give --steps above that to continue")
    stop, previous = sigint_stop()
    try:
        if args.json:
            trainer.run(stop=stop, on_event=lambda e: emit_json(event_json(e)))
        else:
            from rnntui.headless import train_with_progress

            train_with_progress(trainer, stop)
    finally:
        signal.signal(signal.SIGINT, previous)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rnntui.core.compare import compare, parse_vary, variants
    from rnntui.core.runs import default_runs_dir

    spec = load_spec(args)
    overrides = [f"model.cell={c.strip()}" for c in (args.cells or "").split(",") if c.strip()]
    for text in args.vary:
        overrides += parse_vary(text)
    if len(overrides) < 2:
        raise UserError("give two or more variants: --cells rnn_tanh,lstm,gru or --vary model.num_layers=1,3")
    items = variants(spec, overrides)
    base = Path(args.train_runs_dir or args.runs_dir or default_runs_dir())
    stop, previous = sigint_stop()

    def progress(label: str, e: Any) -> None:
        if not args.json and e.kind == "finished":
            sys.stderr.write(one_line(f"  {label}: {e.reason} after {e.step} steps") + "\n")

    try:
        results = compare(items, runs_dir=base, on_event=progress, stop=stop)
    finally:
        signal.signal(signal.SIGINT, previous)
    if args.json:
        for r in results:
            emit_json(
                {
                    "variant": r.label,
                    "steps": r.steps,
                    "seconds": r.seconds,
                    "first_loss": r.first_loss,
                    "final": r.final,
                    "goal": r.goal,
                    "reason": r.reason,
                    "run_dir": r.run_dir,
                }
            )
        return 0
    metric = spec.goal.metric if spec.goal else "metric"
    width = max(14, len(metric) + 2)
    print(f"{'variant':<28}{'steps':>7}{'seconds':>9}{'first loss':>12}{metric:>{width}}  goal met")
    for r in results:
        value = (r.goal or {}).get("value", r.final.get("metric"))
        shown = "n/a" if value is None else f"{value:.4g}"
        met = "-" if r.goal is None else ("yes" if r.goal.get("met") else "no")
        first = "n/a" if r.first_loss is None else f"{r.first_loss:.4f}"
        print(one_line(f"{r.label:<28}{r.steps:>7}{r.seconds:>9.1f}{first:>12}{shown:>{width}}  {met}"))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from rnntui.core.export import export
    from rnntui.core.textsafe import one_line

    for path in export(args.run_dir, args.format, args.out, force=args.force):
        # A run folder's name is someone else's text: shown visibly, and undecodable bytes as escapes.
        print(one_line(str(path)).encode("utf-8", "backslashreplace").decode("utf-8"))
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from rnntui.core.experiment import from_checkpoint
    from rnntui.core.predictor import Predictor

    if args.top < 1:
        raise UserError("--top must be 1 or more")
    if args.generate < 0 or args.generate > 10_000:
        raise UserError("--generate must be between 0 and 10000")
    if not (args.temperature > 0 and math.isfinite(args.temperature)):
        raise UserError("--temperature must be a positive number")
    _, task, model = from_checkpoint(args.run_dir)
    pred = Predictor(model, task, top_k=args.top).feed(
        args.prefix, generate=args.generate, temperature=args.temperature, seed=args.seed
    )
    if args.json:
        out = pred.to_json(trace=args.trace)
        if args.generate:
            out["continuation"] = pred.continuation
            out["sampled"] = pred.sampled
        emit_json(out)
        return 0
    from rnntui.headless import print_prediction

    print_prediction(pred, args.generate)
    return 0


def cmd_hunt(args: argparse.Namespace) -> int:
    from rnntui.core.experiment import from_checkpoint
    from rnntui.core.hunt import hunt
    from rnntui.core.predictor import Predictor

    _, task, model = from_checkpoint(args.run_dir)
    units, _ = hunt(Predictor(model, task), args.text, args.regex, top=max(1, args.top))
    if args.json:
        emit_json(
            {
                "text": args.text,
                "regex": args.regex,
                # Layers counted from 1, as everywhere a person reads them ("layer 1 unit 5").
                "units": [
                    {
                        "layer": u.layer + 1,
                        "direction": "backward" if u.direction else "forward",
                        "unit": u.unit,
                        "score": u.score,
                    }
                    for u in units
                ],
            }
        )
    else:
        for u in units:
            print(f"{u.label():<24} r = {u.score:+.3f}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from rnntui.serve import serve

    problem = serve(
        args.host,
        args.port,
        preset=args.preset,
        runs_dir=args.runs_dir,
        max_sessions=args.max_sessions,
        token=not args.no_token,
    )
    if problem:
        raise UserError(problem)
    return 0


def cmd_app(args: argparse.Namespace) -> int:
    from rnntui.app.main import run_app

    return run_app(preset=args.preset, runs_dir=args.runs_dir)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    commands = {
        None: cmd_app,
        "presets": cmd_presets,
        "train": cmd_train,
        "predict": cmd_predict,
        "hunt": cmd_hunt,
        "resume": cmd_resume,
        "compare": cmd_compare,
        "export": cmd_export,
        "serve": cmd_serve,
    }
    from rnntui.core.errors import HuntError, RunError, SpecError

    try:
        return commands[args.command](args)
    except (UserError, SpecError, RunError, HuntError) as exc:
        sys.stderr.write(f"rnntui: error: {one_line(str(exc))}\n")
        return 2
    except BrokenPipeError:
        return 0
