"""RNG state of python, numpy and torch as ``weights_only``-loadable values (tensors, lists)."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch


def capture_rng() -> dict[str, Any]:
    """The current RNG states of python ``random``, numpy and torch (CPU and every GPU)."""
    version, internal, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "python": [version, torch.tensor(internal, dtype=torch.int64), gauss],
        "numpy": [name, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, cached],
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def restore_rng(state: dict[str, Any]) -> None:
    """Restore states saved by :func:`capture_rng` (GPU states only when GPUs are visible).

    The tensors may come back on any device (a checkpoint loaded with ``map_location="cuda"``):
    each is copied to the CPU as a ``ByteTensor``/int64 first, as the setters require.
    """
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(int(v) for v in internal.cpu().tolist()), gauss))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, keys.cpu().numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"].cpu().to(torch.uint8))
    cuda = [s.cpu().to(torch.uint8) for s in state.get("cuda") or []]
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)
