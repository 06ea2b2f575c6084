"""The ganlab packages the commands call, imported on first use.

Each attribute of :data:`lazy` is a stand-in that imports its module at the first attribute
access and hands the attribute over (``lazy.jobs.run_study`` imports ``ganlab.jobs`` then), so
the command modules name their dependencies at module top like any other import, yet
``ganlab --help`` loads no torch, OpenCV or Optuna, and a command loads only what it touches
(``study list`` never imports ``ganlab.gan``). Nothing is put in ``sys.modules`` before the
real import (a half-made module there would be touched by libraries that scan it, such as
:mod:`inspect` inside torch).

Only the CLI uses this: it is the top layer, so no lazy edge can break the layering that
import-linter checks below it (``pyproject.toml``); tests/test_function_imports.py keeps it
that way.
"""

from __future__ import annotations

import importlib
from types import ModuleType, SimpleNamespace
from typing import Any


class LazyModule:
    """``importlib.import_module(name)``, done at the first attribute access."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.module, attr)

    @property
    def module(self) -> ModuleType:
        """The imported module (imported now if it was not yet)."""
        return importlib.import_module(self._name)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


lazy = SimpleNamespace(**{name.rsplit(".", 1)[-1].lstrip("_"): LazyModule(name) for name in (
    "ganlab.classify", "ganlab.config", "ganlab.data", "ganlab.gan", "ganlab.jobs",
    "ganlab.metrics", "ganlab.study", "ganlab.study.events", "ganlab.cli._progress")})
"""``lazy.jobs.run_study(...)``: the packages the commands call (``lazy.progress`` is the
CLI's own ``ganlab.cli._progress``, which imports ``ganlab.study``)."""
