"""Pick the compute device; `auto` prefers CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

import torch

from rnntui.core.errors import SpecError


def resolve_device(name: str = "auto") -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise SpecError("device cuda was asked for but no CUDA GPU is visible; use --device auto or cpu")
    if name == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise SpecError("device mps was asked for but Apple's MPS is not available; use --device auto or cpu")
    if name not in ("cpu", "cuda", "mps"):
        raise SpecError(f"unknown device {name!r}; use auto, cpu, cuda or mps")
    return torch.device(name)


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return device.type
