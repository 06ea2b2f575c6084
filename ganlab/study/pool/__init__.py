"""The worker pool of ``study run --jobs N``: trials, shared GANs, baseline and ablation runs
as units of work on one set of worker processes, scheduled by what they need; workers that die
with their parent; the study lock of the stages after the trials."""

from __future__ import annotations

from ganlab.study.pool._lifetime import StudyLock
from ganlab.study.pool._run_pool import run_pool

__all__ = ["StudyLock", "run_pool"]
