"""Where a study's trials are recorded: the Optuna storage (journal file by default, or a
database URL), the journal's lock and repair, and the recovery of trials whose worker died."""

from __future__ import annotations

from ganlab.study.storage._journal import repair_journal
from ganlab.study.storage._storage import open_storage
from ganlab.study.storage._workers import DIED_REASON, fail_dead_trials

__all__ = ["DIED_REASON", "fail_dead_trials", "open_storage", "repair_journal"]
