"""The one decision of a run's precision (``ganlab.device.choose_precision``), both ways."""

from __future__ import annotations

import pytest
import torch

from ganlab.device import NATIVE_BF16_FLAGS, choose_precision, cpu_flags, onednn_bf16

CPU, CUDA = torch.device("cpu"), torch.device("cuda")
EPYC = frozenset({"sse4_2", "avx2", "avx512f", "avx512bw", "avx512_bf16"})  # this machine's kind
SKYLAKE = frozenset({"sse4_2", "avx2", "avx512f", "avx512bw"})  # AVX-512 without native bf16


@pytest.mark.parametrize(("flags", "onednn", "expected"), [
    (EPYC, True, torch.bfloat16),
    (SKYLAKE | {"amx_bf16", "amx_tile"}, True, torch.bfloat16),  # Sapphire Rapids
    (SKYLAKE, True, None),  # oneDNN emulates bf16 there: slower than fp32
    (frozenset(), True, None),  # no /proc/cpuinfo (macOS)
    (EPYC, False, None),  # a torch build without oneDNN bf16
])
def test_auto_on_the_cpu_follows_its_features(flags, onednn, expected) -> None:
    precision = choose_precision("auto", CPU, flags=flags, onednn=onednn)
    assert precision.dtype is expected
    assert precision.record()["amp"] == ("bf16" if expected else "fp32")
    if expected:
        assert "avx512_bf16" in precision.reason or "amx_bf16" in precision.reason


def test_auto_on_a_gpu_needs_ampere() -> None:
    assert choose_precision("auto", CUDA, capability=(7, 5)).dtype is None  # RTX 2060: emulated
    assert choose_precision("auto", CUDA, capability=(8, 0)).dtype is torch.bfloat16
    assert choose_precision("auto", CUDA, capability=(9, 0)).record() == {
        "amp": "bf16", "setting": "auto", "reason": "GPU compute capability 9.0"}


@pytest.mark.parametrize("device", [CPU, CUDA])
def test_off_and_bf16_are_obeyed_whatever_the_hardware(device) -> None:
    none = {"flags": frozenset(), "onednn": False, "capability": (6, 1)}
    best = {"flags": EPYC, "onednn": True, "capability": (9, 0)}
    assert choose_precision("off", device, **best).dtype is None
    assert choose_precision("bf16", device, **none).dtype is torch.bfloat16
    assert choose_precision("bf16", device, **none).reason == "asked for"


def test_this_machine_is_read_without_injection() -> None:
    flags, native = cpu_flags(), onednn_bf16() and bool(NATIVE_BF16_FLAGS & cpu_flags())
    assert isinstance(flags, frozenset)
    assert choose_precision("auto", CPU).dtype is (torch.bfloat16 if native else None)
