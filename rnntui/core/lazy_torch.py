"""torch, imported where it is first used: for the modules the app's process reads without
training anything — the task classes (their parameters and checks: a Build edit, the presets menu
and a run's listing validate a spec against them) and the checkpoint's format (the Runs view lists
runs). The app's process never imports torch (issue 15: ~130 MB of it); the processes that train
or predict have, and for them this is torch itself after the first attribute.

    if TYPE_CHECKING:
        import torch
    else:
        from rnntui.core.lazy_torch import torch
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class _Torch:
    """Stands for the torch module; each attribute is looked up once (then kept on this object)."""

    def __getattr__(self, name: str) -> object:
        import torch as real

        value = getattr(real, name)
        setattr(self, name, value)  # (the next lookup is a plain attribute: no import statement)
        return value


torch = _Torch()


def no_grad(fn: Callable[P, R]) -> Callable[P, R]:
    """`@torch.no_grad()` without importing torch where the function is defined."""

    @functools.wraps(fn)
    def inner(*args: P.args, **kwargs: P.kwargs) -> R:
        import torch as real

        with real.no_grad():
            return fn(*args, **kwargs)

    return inner
