"""Where a result was made: the time, ganlab's version and commit, torch, and the machine.

Recorded in every study run's ``run.json`` and in a result bundle's manifest, so a figure can
be quoted with its date, commit and machine. Nothing here imports torch.
"""

from __future__ import annotations

import functools
import os
import platform
import subprocess
import time
from importlib import metadata
from pathlib import Path
from typing import Any


def environment() -> dict[str, Any]:
    """``{"utc", "ganlab", "commit", "torch", "host", "machine", "cpu", "cores"}`` of now.

    ``commit`` is the short hash of the checkout ganlab runs from, with ``+dirty`` when its
    tracked files differ from it, or ``None`` outside a git checkout (an installed wheel).
    """
    return {
        "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "ganlab": package_version("ganlab"), "commit": commit(),
        "torch": package_version("torch"), "host": platform.node(),
        "machine": platform.machine(), "cpu": cpu_model(), "cores": os.cpu_count(),
    }


@functools.cache
def commit() -> str | None:
    """The checkout's short commit (``+dirty`` with uncommitted changes), or ``None``."""
    here = Path(__file__).resolve().parent

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=5,
                                 cwd=here)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    head = git("rev-parse", "--short", "HEAD")
    if not head:
        return None
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return f"{head}+dirty" if dirty else head


@functools.cache
def cpu_model() -> str | None:
    """The CPU's model name (``/proc/cpuinfo`` on Linux)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def package_version(package: str) -> str | None:
    """An installed distribution's version, or ``None``."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None
