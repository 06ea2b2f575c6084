"""The ganlab packages the commands call, imported on first use (:mod:`ganlab.lazy`).

The command modules import :data:`lazy` at module top, so their dependencies read like any
other import, yet ``ganlab --help`` loads no torch, OpenCV or Optuna, and a command loads only
what it touches (``study list`` never imports ``ganlab.gan``).
"""

from __future__ import annotations

from ganlab.lazy import lazy_namespace

lazy = lazy_namespace(
    "ganlab.classify", "ganlab.config", "ganlab.data", "ganlab.gan", "ganlab.jobs",
    "ganlab.metrics", "ganlab.study", "ganlab.study.events", "ganlab.cli._progress")
"""``lazy.jobs.run_study(...)``: the packages the commands call (``lazy.progress`` is the
CLI's own ``ganlab.cli._progress``, which imports ``ganlab.study``)."""
