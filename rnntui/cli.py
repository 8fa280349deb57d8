"""Command line: the app by default, headless `presets`, `train`, `predict`, `hunt`, `resume`,
`compare`, `export`, and `serve` (the app in a browser).

Every user error exits 2 with one line on stderr (no traceback). Heavy imports (torch) happen
inside the commands that need them, so `--version` and `--help` are instant.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from rnntui import __version__, cli_predict
from rnntui.cli_common import UserError, emit_json, interrupts_exit, preload
from rnntui.core.textsafe import one_line

__all__ = ["main", "build_parser"]


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, one_line(f"{self.prog}: error: {message} (see {self.prog} --help)") + "\n")


def build_parser() -> Parser:
    p = Parser(prog="rnntui", description="A terminal playground for recurrent neural networks.")
    p.add_argument("--version", action="version", version=f"rnntui {__version__}")
    p.add_argument("--preset", help="open the app with this preset loaded")
    p.add_argument("--runs-dir", help="where runs are saved (default: the user data dir; or RNNTUI_RUNS_DIR)")
    sub = p.add_subparsers(dest="command", parser_class=Parser)
    _add_training_commands(sub)
    _add_use_commands(sub)
    _add_inspect_commands(sub)
    return p


Subparsers = argparse._SubParsersAction  # argparse's type for `add_subparsers()`; no public alias


def _add_training_commands(sub: Subparsers[Parser]) -> None:
    """presets, train, resume, compare: the commands that choose a preset or train a run."""
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


def _add_use_commands(sub: Subparsers[Parser]) -> None:
    """export, predict, serve: use what was trained (in a program, on a prefix, in a browser)."""
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
    pd.add_argument("--trace", action="store_true", help="add each step's hidden state, cell, gates and map point")
    pd.add_argument("--generate", type=int, default=0, metavar="N", help="continue the text by N tokens")
    pd.add_argument("--temperature", type=float, default=1.0, help="for the sampled continuation")
    pd.add_argument("--seed", type=int, default=0, help="for the sampled continuation")
    pd.add_argument("--saliency", action="store_true", help="add how much each input token moves the prediction")

    sv = sub.add_parser("serve", help="serve the app to a web browser (textual-serve)")
    sv.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1; other hosts get a warning (plain HTTP)")
    sv.add_argument("--port", type=int, default=8000)
    sv.add_argument(
        "--max-sessions", type=int, default=2, metavar="N", help="browser tabs (app processes) at once; default 2"
    )
    sv.add_argument(
        "--no-token", action="store_true", help="open the page without the printed token (loopback hosts only)"
    )


def _add_inspect_commands(sub: Subparsers[Parser]) -> None:
    """runs, hunt: list the saved runs, look inside one."""
    ru = sub.add_parser("runs", help="list the saved runs (unreadable ones with the reason)")
    ru.add_argument("--json", action="store_true", help="one JSON object per run")
    ru.add_argument("--runs-dir", dest="runs_runs_dir", help="where the runs are (default: the user data dir)")

    hu = sub.add_parser("hunt", help="rank hidden units by how well they track a regex's matches")
    hu.add_argument("run_dir", metavar="RUN_DIR")
    hu.add_argument("text", metavar="TEXT")
    hu.add_argument("regex", metavar="REGEX")
    hu.add_argument("--top", type=int, default=10)
    hu.add_argument("--json", action="store_true")


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


def cmd_export(args: argparse.Namespace) -> int:
    from rnntui.core.export import export
    from rnntui.core.textsafe import one_line

    for path in export(args.run_dir, args.format, args.out, force=args.force):
        # A run folder's name is someone else's text: shown visibly, and undecodable bytes as escapes.
        print(one_line(str(path)).encode("utf-8", "backslashreplace").decode("utf-8"))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    if args.preset is not None:  # each browser tab runs `rnntui --preset NAME`, which refuses a wrong name
        from rnntui.core.presets import check_preset_name

        check_preset_name(args.preset)
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
    if args.preset is not None:
        from rnntui.core.presets import check_preset_name

        check_preset_name(args.preset)  # before the app starts: a wrong name is exit 2, as for `train`
    # Without a terminal (stdin from /dev/null: cron, a broken ssh command) the app spun at 95 % CPU
    # for minutes. textual-serve runs it with pipes and its web driver named in TEXTUAL_DRIVER.
    if not os.environ.get("TEXTUAL_DRIVER") and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UserError("rnntui needs a terminal; use `rnntui train …` for headless work")
    from rnntui.app.main import run_app

    return run_app(preset=args.preset, runs_dir=args.runs_dir)


def main(argv: Sequence[str] | None = None) -> int:
    with interrupts_exit():  # Ctrl+C while starting, even inside `import torch`: exit 130 at once
        args = build_parser().parse_args(argv)
        from rnntui import cli_runs, cli_train

        preload(args.command)

    commands = {
        None: cmd_app,
        "presets": cmd_presets,
        "predict": cli_predict.cmd_predict,
        "hunt": cli_predict.cmd_hunt,
        "export": cmd_export,
        "serve": cmd_serve,
        "runs": cli_runs.cmd_runs,
        **cli_train.COMMANDS,
    }
    from rnntui.core.errors import HuntError, RunError, SpecError

    try:
        return commands[args.command](args)
    except (UserError, SpecError, RunError, HuntError) as exc:
        return fail(str(exc))
    except BrokenPipeError:
        return 0
    except OSError as exc:  # the environment: a full disk, a read-only or missing folder, a bad device
        where = f"{exc.filename}: " if exc.filename else ""
        return fail(f"{where}{(exc.strerror or str(exc) or type(exc).__name__).lower()}")
    except MemoryError:
        return fail("out of memory: lower the model's size or train.batch_size")
    except KeyboardInterrupt:  # before training started (Ctrl+C while training stops it cleanly)
        return fail("interrupted", status=130)


def fail(message: str, status: int = 2) -> int:
    sys.stderr.write(f"rnntui: error: {one_line(message.strip())}\n")
    return status
