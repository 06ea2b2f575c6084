"""Choosing the torch device and a run's autocast precision."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
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


NATIVE_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
"""CPU flags (``/proc/cpuinfo``) of native bf16 instructions: where bf16 autocast is fast."""


@dataclass(frozen=True)
class Precision:
    """The autocast dtype of a run and why it was chosen (recorded next to its figures)."""

    dtype: torch.dtype | None  # torch.bfloat16, or None for fp32 (no autocast)
    setting: str  # the config value: "auto", "off" or "bf16"
    reason: str  # why, in words: "asked for", "native bf16 (avx512_bf16)", ...

    @property
    def name(self) -> str:
        """``"bf16"`` or ``"fp32"``."""
        return "fp32" if self.dtype is None else "bf16"

    def record(self) -> dict[str, str]:
        """The JSON form written into protocols and checkpoints."""
        return {"amp": self.name, "setting": self.setting, "reason": self.reason}


@functools.cache
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags from ``/proc/cpuinfo`` (empty where there is none, e.g. macOS)."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


@functools.cache
def onednn_bf16() -> bool:
    """Whether torch's oneDNN CPU backend runs bf16 at all on this CPU."""
    import torch

    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def choose_precision(
    setting: str, device: torch.device, *, flags: frozenset[str] | None = None,
    onednn: bool | None = None, capability: tuple[int, int] | None = None,
) -> Precision:
    """The one place that decides a run's autocast dtype.

    ``"off"`` is fp32 and ``"bf16"`` is bf16 everywhere. ``"auto"`` is bf16 only where the
    hardware runs it natively: on a GPU of compute capability >= 8.0 (Ampere on; not the
    paper's RTX 2060, 7.5, where bf16 is emulated), and on a CPU whose flags name native bf16
    instructions (``avx512_bf16`` or ``amx_bf16``) and whose oneDNN build supports bf16. Without
    them bf16 is emulated and was measured 20x slower than fp32 on an earlier CPU; with
    ``avx512_bf16`` the paper's GAN step ran 1.8x faster (docs/results.md).

    Args:
        setting: ``gan.amp`` or ``classifier.amp``.
        device: The training device.
        flags: The CPU's feature flags (default: :func:`cpu_flags`).
        onednn: Whether oneDNN supports bf16 (default: :func:`onednn_bf16`).
        capability: The GPU's compute capability (default: asked of CUDA).
    """
    import torch

    if setting == "off":
        return Precision(None, setting, "asked for")
    if setting == "bf16":
        return Precision(torch.bfloat16, setting, "asked for")
    if device.type == "cuda":
        cap = torch.cuda.get_device_capability(device) if capability is None else capability
        if cap >= (8, 0):
            return Precision(torch.bfloat16, setting, f"GPU compute capability {cap[0]}.{cap[1]}")
        return Precision(None, setting, f"GPU compute capability {cap[0]}.{cap[1]} < 8.0")
    if device.type != "cpu":
        return Precision(None, setting, f"no bf16 rule for {device.type}")
    native = sorted(NATIVE_BF16_FLAGS & (cpu_flags() if flags is None else flags))
    if not native:
        return Precision(None, setting, "CPU without native bf16 (no avx512_bf16, amx_bf16)")
    if not (onednn_bf16() if onednn is None else onednn):
        return Precision(None, setting, "oneDNN of this torch build has no bf16")
    return Precision(torch.bfloat16, setting, f"CPU with native bf16 ({', '.join(native)})")

