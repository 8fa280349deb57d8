"""Loading a preset in the app: from the menu's choice to its network ready to train.

    python benchmarks/preset_load.py [--repeats 3] [--presets hello,translate]

The app runs headless in this process (`App.run_test`), training in its own process as always. Each
preset is loaded as the presets menu and the palette load one (`action_load_preset`), from the one
before it, --repeats times (the presets take turns). The clock stops on state, not on a sleep: the
state says ready for that preset (its training process is up with the network built; `space`
trains at once) and the Build view shows it; "drawn" is the first screen refresh after that. Before
the next load, the app settles (its predictor has the network) so one load's background work does
not slow the next. Target: ready ≤ 0.5 s for every shipped preset.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# (No import of the app up here: a training process imports the program's main module again before
# it starts, as multiprocessing does, and the app's 0.8 s would be counted in every load. The app's
# own main module, `rnntui`, costs it ~20 ms.)

TARGET_S = 0.5
TIMEOUT_S = 120.0


async def until(app, cond, timeout: float = TIMEOUT_S) -> None:
    """Wait until `cond()` holds, looking again at every change of the app's training state (and
    at every refresh, for what is not in it)."""
    changed = asyncio.Event()
    watcher = app.watch(app, "training", lambda _: changed.set(), init=False)  # noqa: F841
    deadline = time.monotonic() + timeout
    while not cond():
        changed.clear()
        app.call_after_refresh(changed.set)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the app did not get there in time")
        try:
            await asyncio.wait_for(changed.wait(), remaining)
        except TimeoutError:
            pass


async def drawn(app) -> None:
    done = asyncio.Event()
    app.call_after_refresh(done.set)
    await done.wait()


def loaded(app, name: str, lesson: int):
    """The state says ready for preset `name`, loaded after lesson `lesson`."""
    from rnntui.app.state import Phase

    def cond() -> bool:
        s = app.training
        return s.lesson > lesson and s.phase is Phase.READY and s.spec is not None and s.spec.name == name

    return cond


def predictor_has(app) -> bool:
    return app.predicting.loaded is not None and app.predicting.loaded.spec == app.training.spec


async def measure(names: list[str], repeats: int) -> dict[str, list[tuple[float, float]]]:
    from rnntui.app.app import RnnApp
    from rnntui.app.state import Phase

    out: dict[str, list[tuple[float, float]]] = {n: [] for n in names}
    with tempfile.TemporaryDirectory() as runs:
        app = RnnApp(runs_dir=runs)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(app, lambda: app.training.phase is Phase.READY and app.preset_entries and app.predicting.loaded)
            for _ in range(repeats):
                for name in names:
                    lesson = app.training.lesson
                    t0 = time.perf_counter()
                    app.action_load_preset(name)
                    await until(app, loaded(app, name, lesson))
                    ready = time.perf_counter() - t0
                    await drawn(app)
                    out[name].append((ready, time.perf_counter() - t0))
                    # Settled before the next: the predictor has this network (its own build).
                    await until(app, lambda: predictor_has(app))
                    await pilot.pause()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--presets", help="comma-separated (default: every shipped preset)")
    args = ap.parse_args()
    from rnntui.core.presets import ORDER, discover, sorted_entries

    shipped = [e.name for e in sorted_entries(discover()) if e.spec is not None and e.name in ORDER]
    names = args.presets.split(",") if args.presets else shipped
    results = asyncio.run(measure(names, args.repeats))
    print(f"loading a preset in the app: median of {args.repeats}, seconds (target: ready ≤ {TARGET_S})")
    print(f"{'preset':<16}{'ready':>8}{'drawn':>8}   (ready min–max)")
    worst = 0.0
    for name in names:
        ready = [r for r, _ in results[name]]
        shown = [d for _, d in results[name]]
        med = statistics.median(ready)
        worst = max(worst, med)
        ok = "ok" if med <= TARGET_S else "MISSED"
        print(f"{name:<16}{med:>8.3f}{statistics.median(shown):>8.3f}   ({min(ready):.3f}–{max(ready):.3f}) {ok}")
    print(f"slowest: {worst:.3f} s")


if __name__ == "__main__":
    main()
