"""Pick the compute device; `auto` prefers CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

import torch

from rnntui.core.errors import SpecError


def resolve_device(name: str = "auto") -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return exact_float32(torch.device("cuda"))
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
    device = torch.device(name)
    return exact_float32(device) if device.type == "cuda" else device


def exact_float32(device: torch.device) -> torch.device:
    """Keep CUDA's float32 float32. cuDNN may run float32 RNNs on TF32 tensor cores (a 10-bit
    mantissa, ~1e-3 off) by default; the trace, the probe and the predictor re-run the network on
    the CPU and must see the one that trained (to 1e-4). The models here are small: TF32 buys little."""
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    return device


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return device.type
