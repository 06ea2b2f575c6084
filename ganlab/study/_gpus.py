"""One GPU per worker: which GPU each ``--jobs`` worker process uses.

Every worker used ``cuda:0``; on a machine with several GPUs all trials piled onto one. Now
worker ``i`` of ``J`` gets GPU ``gpus[i % len(gpus)]`` (round-robin over the chosen or the
visible GPUs) as its only visible device: the process starts with ``CUDA_VISIBLE_DEVICES`` set
to that GPU, so inside it the GPU is ``cuda:0`` and no library can touch another one. The GPU
is recorded on every trial the worker runs (user attribute ``ganlab:gpu``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from ganlab.errors import ConfigError

GPU_ATTR = "ganlab:gpu"
_ENV = "CUDA_VISIBLE_DEVICES"


def parse_gpus(text: str | None) -> list[str] | None:
    """``"0,1"`` -> ``["0", "1"]`` (ids as ``CUDA_VISIBLE_DEVICES`` takes them); ``None`` stays."""
    if text is None:
        return None
    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids:
        raise ConfigError(f"gpus {text!r}: expected GPU ids such as 0,1")
    return ids


def visible_gpus() -> list[str]:
    """The GPUs this process may use: ``CUDA_VISIBLE_DEVICES`` if set, else all of torch's."""
    env = os.environ.get(_ENV)
    if env is not None:
        return [part.strip() for part in env.split(",") if part.strip()]
    import torch

    return [str(i) for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []


def assign_gpus(jobs: int, gpus: list[str] | None, device: str) -> list[str | None]:
    """The GPU of each of ``jobs`` workers (``None``: not pinned, e.g. on the CPU).

    Args:
        jobs: Worker processes.
        gpus: GPU ids to use (default: every visible GPU).
        device: The study's device setting (``auto``, ``cpu``, ``cuda``, ``cuda:N``).
    """
    if device == "cpu":
        if gpus:
            raise ConfigError(f"gpus {','.join(gpus)}: the study runs on the CPU (device cpu)",
                              path="gpus", hint="leave out the GPU ids or choose device cuda")
        return [None] * jobs
    if device.startswith("cuda:") and not gpus:
        return [None] * jobs  # an explicit device index: every worker uses that GPU
    visible = visible_gpus()
    pool = gpus if gpus else visible
    if gpus and not visible:
        raise ConfigError(
            f"gpus {','.join(gpus)}: this machine has no CUDA GPU visible to torch",
            path="gpus", hint="leave out the GPU ids to run on the CPU")
    unknown = [g for g in pool if g not in visible]
    if unknown:
        raise ConfigError(
            f"gpus {','.join(pool)}: GPU {', '.join(unknown)} is not visible (visible: "
            f"{', '.join(visible)}); choose among the visible GPUs", path="gpus"
        )
    if not pool:
        return [None] * jobs
    return [pool[i % len(pool)] for i in range(jobs)]


def device_in_process(gpu: str) -> str:
    """The torch device name of visible GPU ``gpu`` in this (unpinned) process."""
    return f"cuda:{visible_gpus().index(gpu)}"


@contextmanager
def only_gpu(gpu: str | None) -> Iterator[None]:
    """Set ``CUDA_VISIBLE_DEVICES`` to ``gpu`` while a child process is started."""
    if gpu is None:
        yield
        return
    before = os.environ.get(_ENV)
    os.environ[_ENV] = gpu
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(_ENV, None)
        else:
            os.environ[_ENV] = before
