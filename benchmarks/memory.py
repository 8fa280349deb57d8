"""Memory while training in the app: the whole process tree's PSS against a bare training loop's RSS.

    python benchmarks/memory.py [--preset char-lm] [--seconds 6] [--predict]

The app runs headless in a process of its own (as `rnntui --preset char-lm` does), loads the preset,
trains it (space) and keeps training while this script reads, --seconds after the first step,
`/proc/<pid>/smaps_rollup` of the app and of every process under it (the trainer's fork server,
the training process, the predictor's process, multiprocessing's resource tracker). With --predict
the app trains with Predict open and a 400-character prefix typed (the predictor's process holds a
CPU copy of the network and every step of the prefix, and reads it again at each copy of the
weights). The app's own process imports no torch; the table says whether that held.

Against it: a bare hand-written loop (forward, loss, backward, clip, step; nothing else) on the same
model and batches in a fresh interpreter, its RSS after as many seconds of training.

PSS splits a page shared by n processes n ways, whichever process shares it: torch's libraries
mapped by another program on this machine (another app, a test run) lower the tree's PSS. So the
table also shows the tree "alone": every physical page the tree maps, counted once
(/proc/<pid>/pagemap, root only), which is what its PSS would be with nothing else running, and
what the bare loop's RSS is too. Target: tree ≤ 1.25 × bare loop RSS (both ways of counting).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 1.25
ROOT = Path(__file__).resolve().parent.parent

BARE = """
import sys, time
import torch
from rnntui.core.experiment import build_model, build_task
from rnntui.core.presets import resolve
from rnntui.core.step_engine import torch_optimizer
from rnntui.core.threads import training_threads

spec = resolve(sys.argv[1])
torch.set_num_threads(training_threads(spec))  # as the app's training process does
task = build_task(spec.task)
model = build_model(spec, task)
opt = torch_optimizer(spec.train.optimizer, model.parameters(), spec.train.lr, fused=True)  # as a person writes it
step, t_end = 0, None
while True:
    b = task.train_batch(step, spec.train.batch_size, spec.train.seed)
    opt.zero_grad(set_to_none=True)
    loss = model.loss(model(b), b)
    loss.backward()
    if spec.train.clip_norm is not None:
        torch.nn.utils.clip_grad_norm_(model.parameters(), spec.train.clip_norm)
    opt.step()
    step += 1
    if t_end is None:
        t_end = time.monotonic() + float(sys.argv[2])
    if time.monotonic() >= t_end:
        break
print(f"STEPS {step}", flush=True)
sys.stdin.readline()  # measured now, while every page of the loop is still mapped
"""

APP = """
import sys, time
from pathlib import Path
from rnntui.app.app import RnnApp
from rnntui.app.state import Phase

preset, flag, predict = sys.argv[1], Path(sys.argv[2]), sys.argv[3] == "1"


class Measured(RnnApp):
    def on_mount(self) -> None:
        self.set_interval(0.05, self.poll)
        self.watch(self, "training", self.at_ready, init=False)
        self.stage = "load"

    def at_ready(self, s) -> None:
        # The app's own memory the moment its network is ready (before it imports torch).
        if self.stage == "load" and s.phase is Phase.READY:
            own = {l.split()[0]: int(l.split()[1]) for l in open("/proc/self/smaps_rollup") if l.endswith("kB\\n")}
            private = own["Private_Clean:"] + own["Private_Dirty:"]
            print(f"READY {own['Rss:']} {private} {int('torch' in sys.modules)}", flush=True)
            self.stage = "ready"

    def poll(self) -> None:
        s = self.training
        if self.stage == "ready" and s.phase is Phase.READY and s.spec.name == preset:
            if predict:
                self.action_view("predict")
                self.stage = "predict"
            else:
                self.stage = "train"
        if self.stage == "predict" and self.query_one("#predict").ready:
            # Predict stays open with a long prefix: the predictor reads it again at every copy of
            # the weights (each second) while training, and holds its steps.
            self.query_one("#prefix").value = ("the quick brown fox jumps over the lazy dog. " * 10)[:400]
            self.stage = "train"
        if self.stage == "train":
            self.action_toggle_training()
            self.stage = "wait"
        if self.stage == "wait" and s.step > 0:
            print(f"TRAINING {s.step} {self.link.client.pid} {self.predictor.client.pid or 0}", flush=True)
            self.stage = "training"
        if s.phase is Phase.FINISHED:
            print("FINISHED too soon", flush=True)
            self.exit(1)
        if flag.exists():
            print(f"STEP {s.step} {int('torch' in sys.modules)}", flush=True)
            self.exit(0)


Measured(preset=preset, runs_dir=sys.argv[4]).run(headless=True)
"""


# ---- reading memory ------------------------------------------------------------------------------
def rollup(pid: int) -> dict[str, int]:
    """smaps_rollup's figures in kB."""
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[-1] == "kB":
                out[parts[0].rstrip(":")] = int(parts[1])
    return out


def tree(root: int) -> list[int]:
    """`root` and every process under it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def label(pid: int, root: int, server: int | None, trainer: int = -1, predictor: int = -1) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        with open(f"/proc/{pid}/stat") as f:
            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return "?"
    if pid == root:
        return "app"
    if ppid == server:  # forked by the fork server (its command line is the server's)
        return "training process" if pid == trainer else "predictor" if pid == predictor else "a child"
    if "forkserver" in cmd:
        return "fork server"
    if "resource_tracker" in cmd:
        return "resource tracker"
    return "other"


def frames(pid: int) -> set[int]:
    """The physical pages `pid` maps (needs root: without it pagemap reads zeros)."""
    import numpy as np

    out: set[int] = set()
    page = os.sysconf("SC_PAGE_SIZE")
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/pagemap", "rb") as pm:
        for line in maps:
            lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
            if "[vsyscall]" in line:
                continue
            pm.seek(lo // page * 8)
            raw = pm.read((hi - lo) // page * 8)
            entries = np.frombuffer(raw, dtype=np.uint64)
            present = entries[(entries >> np.uint64(63)) & np.uint64(1) == 1]
            out.update((present & np.uint64((1 << 55) - 1)).tolist())
    out.discard(0)
    return out


def mb(kb: float) -> float:
    return kb / 1024


# ---- the two measurements ------------------------------------------------------------------------
def measure_bare(preset: str, seconds: float) -> dict[str, int]:
    proc = subprocess.Popen(
        [sys.executable, "-c", BARE, preset, str(seconds)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    line = proc.stdout.readline()
    if not line.startswith("STEPS"):
        proc.kill()
        raise SystemExit(f"bare loop failed: {line!r}")
    r = rollup(proc.pid)
    proc.communicate("\n", timeout=60)
    return r


def measure_app(preset: str, seconds: float, predict: bool, samples: int) -> tuple[list[dict], int, list[int] | None]:
    with tempfile.TemporaryDirectory() as tmp:
        flag = Path(tmp) / "stop"
        proc = subprocess.Popen(
            [sys.executable, "-c", APP, preset, str(flag), "1" if predict else "0", str(Path(tmp) / "runs")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            line = proc.stdout.readline()
            at_ready = [int(x) for x in line.split()[1:]] if line.startswith("READY") else None
            if at_ready:
                line = proc.stdout.readline()
            if not line.startswith("TRAINING"):
                raise SystemExit(f"the app did not train: {line!r} {proc.stderr.read()[-2000:]}")
            trainer, predictor = (int(x) for x in line.split()[2:4])
            time.sleep(seconds)
            rows_by_sample = []
            for _ in range(samples):
                rows = []
                pids = tree(proc.pid)
                server = next((q for q in pids if b"forkserver" in Path(f"/proc/{q}/cmdline").read_bytes()), None)
                for pid in pids:
                    try:
                        rows.append(
                            {"pid": pid, "label": label(pid, proc.pid, server, trainer, predictor), **rollup(pid)}
                        )
                    except OSError:
                        continue
                rows_by_sample.append(rows)
                time.sleep(0.3)
            try:
                union = len(set().union(*(frames(r["pid"]) for r in rows_by_sample[-1]))) * os.sysconf("SC_PAGE_SIZE")
            except (OSError, ImportError):
                union = 0
            flag.touch()
            out, _ = proc.communicate(timeout=60)
            ends = [x.split() for x in out.splitlines() if x.startswith("STEP ")]
            if at_ready and ends:
                at_ready.append(int(ends[-1][-1]))  # torch imported in the app when measured
        finally:
            if proc.poll() is None:
                proc.kill()
    return rows_by_sample, union // 1024, at_ready


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="char-lm")
    ap.add_argument("--seconds", type=float, default=6.0, help="of training before measuring")
    ap.add_argument("--predict", action="store_true", help="open Predict before training")
    ap.add_argument("--samples", type=int, default=5)
    args = ap.parse_args()
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)

    bare = measure_bare(args.preset, args.seconds)
    samples, union, at_ready = measure_app(args.preset, args.seconds, args.predict, args.samples)
    totals = [sum(r["Pss"] for r in rows) for rows in samples]
    rows = samples[-1]  # the per-process table: the last sample
    print(f"{args.preset}, training for {args.seconds:g} s{' (Predict opened first)' if args.predict else ''}; MB")
    print(f"{'process':<22}{'pid':>8}{'RSS':>9}{'PSS':>9}{'private':>9}{'anon PSS':>10}")
    for r in sorted(rows, key=lambda r: -r["Pss"]):
        private = r.get("Private_Clean", 0) + r.get("Private_Dirty", 0)
        print(
            f"{r['label']:<22}{r['pid']:>8}{mb(r['Rss']):>9.0f}{mb(r['Pss']):>9.0f}"
            f"{mb(private):>9.0f}{mb(r.get('Pss_Anon', 0)):>10.0f}"
        )
    if at_ready:
        rss, private, torch_in, *torch_end = at_ready
        before = f"{'(app at ready)':<22}{'':>8}{mb(rss):>9.0f}{'':>9}{mb(private):>9.0f}"
        end = bool(torch_end and torch_end[0])
        print(f"{before}   torch imported in the app: {bool(torch_in)} at ready, {end} when measured")
    pss = statistics.median(totals)
    print(f"{'tree PSS (median of ' + str(len(totals)) + ')':<30}{mb(pss):>9.0f}")
    if union:
        print(f"{'tree alone (pages once)':<30}{mb(union):>9.0f}")
    print(f"{'bare loop RSS':<30}{mb(bare['Rss']):>9.0f}   (its PSS {mb(bare['Pss']):.0f})")
    print(f"ratio PSS/bare {pss / bare['Rss']:.2f}", end="")
    if union:
        print(f", alone/bare {union / bare['Rss']:.2f}", end="")
    print(f"   target ≤ {TARGET}")


if __name__ == "__main__":
    main()
