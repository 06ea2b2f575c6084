"""Modules imported on first use, named at module top.

:func:`lazy_namespace` gives stand-ins that import their module at the first attribute access
(``lazy.gan.train_gan`` imports ``ganlab.gan`` then). Light entry points use them to stay
light while their heavy dependencies read like any other import: ``ganlab --help`` loads no
torch, OpenCV or Optuna, and ``import ganlab.study`` (behind ``study list``, ``show`` and
``report``) loads neither torch nor OpenCV. Nothing is put in ``sys.modules`` before the real
import: a half-made module there would be touched by libraries that scan it, such as
:mod:`inspect` inside torch.

A lazy edge is invisible to import-linter, so tests/test_function_imports.py checks each one
against the layers of ``pyproject.toml``: a module may load lazily only a package below its own
layer.
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


def lazy_namespace(*names: str) -> SimpleNamespace:
    """One :class:`LazyModule` per dotted name, as attributes named by the last part without
    a leading underscore: ``lazy_namespace("ganlab.gan").gan``."""
    return SimpleNamespace(**{n.rsplit(".", 1)[-1].lstrip("_"): LazyModule(n) for n in names})
