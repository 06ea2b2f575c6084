"""Choosing the torch device, AMP and memory format."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganlab.errors import ConfigError

if TYPE_CHECKING:
    import torch


def resolve_device(name: str = "auto") -> torch.device:
    """``"auto"`` -> cuda when available, else cpu; ``"cuda"`` without a GPU is a user error."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"{name!r} requested but no CUDA GPU is visible",
                          path="study.device", hint="use cpu or auto")
    if name not in ("cpu",) and not name.startswith("cuda"):
        raise ConfigError(f"unknown device {name!r}", path="study.device",
                          hint="use auto, cpu or cuda")
    return torch.device(name)


def autocast_dtype(setting: str, device: torch.device) -> torch.dtype | None:
    """bf16 on a GPU for ``auto``; never on the CPU (20x slower there without native bf16)."""
    import torch

    if setting == "off":
        return None
    if setting == "bf16":
        return torch.bfloat16
    return torch.bfloat16 if device.type == "cuda" else None


def use_channels_last(setting: str, device: torch.device) -> bool:
    """channels_last is on for ``auto`` on both CPU (1.19x measured) and GPU."""
    return setting in ("auto", "on")
