"""`Trainer.resume`: a run continued from its checkpoint, or refused before anything is written.

The order matters: the run's lock first (a run in use is refused before anything is read), then the
checkpoint, checked before a tensor is read (RunDir.load), then the task's own data, checked against
the fingerprint in the checkpoint (a changed file is refused, not trained on with a wrong mapping),
and only then the trainer. Anything refused lets the lock go again and leaves the run as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from rnntui.core.errors import RunError
from rnntui.core.run_lock import RunLock
from rnntui.core.runs import RunDir
from rnntui.core.spec import ExperimentSpec

if TYPE_CHECKING:
    from rnntui.core.trainer import Trainer


def resume(cls: type[Trainer], run: RunDir, device: torch.device | None, spec: ExperimentSpec | None) -> Trainer:
    lock = RunLock.acquire(run.path)  # first: a run in use is refused before anything is read
    try:
        cp = run.load()  # every tensor checked against the spec before anything is allocated
        assert cp.task is not None
        cp.task.load_data()  # the data it was trained on, or SpecError if the file changed
        trainer = cls(spec or cp.spec, run=None, task=cp.task, device=device)
        try:
            trainer.model.load_state_dict(cp.model_state)
            if cp.optimizer_state is not None:
                # The moments from the file, under the optimizer's own settings (lr, betas, eps from
                # the spec, an edited lr included): a file's settings could be text or absurd.
                groups = trainer.optimizer.state_dict()["param_groups"]
                trainer.optimizer.load_state_dict({"state": cp.optimizer_state["state"], "param_groups": groups})
        except (RuntimeError, ValueError, KeyError, TypeError) as exc:
            raise RunError(f"{run.checkpoint_path} does not fit its spec: {str(exc).splitlines()[0][:200]}") from None
    except BaseException:
        lock.release()
        raise
    trainer.attach(run, lock)
    trainer.step_count = cp.step
    initial = cp.extra.get("initial_loss")
    trainer.initial_loss = float(initial) if initial is not None else None
    trainer.scores.goal_met = bool(cp.extra.get("goal_met", False))
    if cp.rng_state is not None:
        torch.random.set_rng_state(cp.rng_state)
    trainer.prober.step = cp.step  # the curve has its probes; the next one comes on budget
    # A run killed after its last checkpoint logged steps past it; readers drop those at this mark.
    run.append_metrics([{"event": "resumed", "step": cp.step}])
    return trainer
