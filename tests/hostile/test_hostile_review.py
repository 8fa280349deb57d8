"""Findings of the hostile review of the hardened code: each one broke something before its fix."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from hostile_util import cli, trained
from rnntui.app.widgets.chart_axes import nice_ticks
from rnntui.core.errors import RunError, SpecError
from rnntui.core.hunt import HuntError, match_spans
from rnntui.core.presets import check_preset_name
from rnntui.core.run_list import read_summary
from rnntui.core.tasks.series import read_csv_column
from rnntui.core.textsafe import one_line
from rnntui.serve_guard import Guard, Sessions


def test_metrics_are_never_written_through_a_link(tmp_path: Path) -> None:
    run = trained(tmp_path / "runs")
    victim = tmp_path / "bashrc"
    victim.write_text("alias ls=ls\n")
    run.metrics_path.unlink()
    run.metrics_path.symlink_to(victim)
    with pytest.raises(Exception) as caught:
        run.append_metrics([{"event": "step", "step": 9, "loss": 1.0}])
    assert "metrics" in str(caught.value)
    assert victim.read_text() == "alias ls=ls\n"


def test_metrics_into_a_fifo_are_refused_without_blocking(tmp_path: Path) -> None:
    run = trained(tmp_path / "runs")
    run.metrics_path.unlink()
    os.mkfifo(run.metrics_path)
    done = threading.Event()

    def write() -> None:
        try:
            run.append_metrics([{"event": "step", "step": 9, "loss": 1.0}])
        except Exception:
            pass
        done.set()

    threading.Thread(target=write, daemon=True).start()
    assert done.wait(10), "appending to a FIFO blocked"


def test_a_metrics_file_past_its_cap_is_read_up_to_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import rnntui.core.runs as runs

    run = trained(tmp_path / "runs")
    monkeypatch.setattr(runs, "MAX_METRICS_BYTES", 2_000)
    line = json.dumps({"event": "step", "step": 1, "loss": 1.0}) + "\n"
    run.metrics_path.write_text(line * 1_000)
    records, warnings = run.read_metrics()
    assert len(records) < 100 and any("not read" in w for w in warnings)


@pytest.mark.parametrize("lo,hi", [(1.0, 1.0 + 2e-16), (1e300, 1e300 * (1 + 1e-15)), (0.0, 5e-324), (-1e-320, 0.0)])
def test_ticks_of_a_flat_or_denormal_range_end_at_once(lo: float, hi: float) -> None:
    ticks = nice_ticks(lo, hi)
    assert 1 <= len(ticks) <= 50


def test_ticks_are_bounded_for_any_count() -> None:
    assert len(nice_ticks(0.0, 1.0, count=10_000)) <= 50


@pytest.mark.parametrize("pattern", ["(?R){e<=1}", "(?V1)x", "(a){e<=2}", "x(?1)", "(?r)abc"])
def test_the_regex_packages_own_syntax_is_refused_in_one_line(pattern: str) -> None:
    with pytest.raises(HuntError):
        match_spans("hello hello", pattern)


def test_plain_python_patterns_still_match() -> None:
    assert match_spans("aXbX", "X") == [(1, 2), (3, 4)]
    assert match_spans("a{2}", r"a\{2\}") == [(0, 4)]


def test_lone_surrogates_become_visible_replacements() -> None:
    assert one_line("a\udcffb") == "a\ufffdb"
    assert one_line("\ud800") == "\ufffd"
    one_line("a\udcffb").encode("utf-8")  # a terminal write would have raised


def test_a_spec_with_an_unknown_cell_is_unreadable_and_shown_visibly(tmp_path: Path, capsys) -> None:
    run = trained(tmp_path / "runs")
    status = json.loads((run.path / "run.json").read_text())
    status.pop("spec_sha256", None)
    (run.path / "run.json").write_text(json.dumps(status))
    spec = (run.path / "spec.toml").read_text()
    (run.path / "spec.toml").write_text(spec.replace('cell = "lstm"', 'cell = "\\u001b]0;pwned\\u0007"'))
    with pytest.raises(RunError):
        read_summary(run.path)
    rc, out, err = cli(capsys, "runs", "--runs-dir", str(tmp_path / "runs"))
    assert rc == 0 and "\x1b" not in out + err and "\x07" not in out + err


def test_a_wrong_token_with_surrogates_is_refused_not_an_error() -> None:
    guard = Guard(host="127.0.0.1", token="s3cret", sessions=Sessions(1, wait_s=0.1))
    assert guard.token_ok("\udcff\udcfe") is False
    assert guard.token_ok("s3cret") is True


def test_csv_values_past_float32_are_refused_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("v\n" + "".join(f"{i}\n" for i in range(200)) + "1e300\n")
    with pytest.raises(SpecError) as caught:
        read_csv_column(str(path), "v")
    assert "line 202" in str(caught.value)


def test_a_broken_user_preset_named_like_a_built_in_does_not_hide_it(tmp_path: Path) -> None:
    folder = Path(os.environ["RNNTUI_PRESETS_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hello.toml").write_text("title = \n")  # not TOML
    check_preset_name("hello")  # the built-in: no error
    (folder / "mine.toml").write_text("title = \n")
    with pytest.raises(SpecError) as caught:
        check_preset_name("mine")
    assert "mine.toml" in str(caught.value)


def damage_optimizer(run_path: Path, change) -> None:
    import torch

    path = run_path / "checkpoint.pt"
    data = torch.load(path, weights_only=True)
    change(data["optimizer"])
    torch.save(data, path)


def test_damaged_optimizer_settings_in_a_checkpoint_are_not_trained_with(tmp_path: Path) -> None:
    """A checkpoint's lr or betas as text (or absurd numbers) were loaded as they were: the run crashed
    in its first step with a traceback. The settings come from the spec; the file gives the moments."""
    from rnntui.core.trainer import Trainer

    run = trained(tmp_path)

    def change(opt: dict) -> None:
        opt["param_groups"][0].update(lr="boom", betas=("a", 1e300), eps=-1.0)

    damage_optimizer(run.path, change)
    trainer = Trainer.resume(run)
    assert trainer.optimizer.param_groups[0]["lr"] == trainer.spec.train.lr
    trainer.run(steps=trainer.step_count + 2)
    assert trainer.last_loss is not None and trainer.last_loss == trainer.last_loss  # trained, finite
    trainer.close()


@pytest.mark.parametrize("value", ["text", [1, 2], float("nan")])
def test_a_damaged_optimizer_moment_is_refused_in_one_line(tmp_path: Path, value: object) -> None:
    import torch

    from rnntui.core.trainer import Trainer

    run = trained(tmp_path)

    def change(opt: dict) -> None:
        first = next(iter(opt["state"].values()))
        first["step"] = torch.tensor(value) if isinstance(value, float) else value

    damage_optimizer(run.path, change)
    with pytest.raises(RunError, match="damaged optimizer state"):
        Trainer.resume(run)
    assert json.loads((run.path / "run.json").read_text())["status"] != "running"
