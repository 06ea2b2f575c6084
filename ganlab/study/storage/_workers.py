"""Worker identity and the recovery of trials whose worker died.

The journal storage has no heartbeat in optuna 5, so every trial records the host, pid and a
worker token (user attributes), and each worker holds ``runs/<study>/workers/<token>.lock``
with ``flock`` while it lives. At start-up, :func:`fail_dead_trials` marks RUNNING trials of
this host whose worker lock is free as FAIL ("worker died (heartbeat lost or killed)") and
re-queues their parameters.
"""

from __future__ import annotations

import fcntl
import os
import socket
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ganlab.io import read_state

if TYPE_CHECKING:
    import optuna

    from ganlab.study._layout import StudyLayout

DIED_REASON = "worker died (heartbeat lost or killed)"
MAX_RETRY = 2  # a trial whose worker dies is re-queued at most this many times
HOST_ATTR, PID_ATTR, TOKEN_ATTR = "ganlab:host", "ganlab:pid", "ganlab:worker"
UNCLAIMED_AFTER = 30.0  # seconds a RUNNING trial may go without recording its worker
UNCLAIMED_REASON = "worker died before recording itself (no worker attributes, no heartbeat)"
RUN_ATTR = "ganlab:run"  # the ``study run`` call that started a trial (its "started now")


class WorkerToken:
    """This process's identity as a worker, proven alive by a held ``flock``.

    Args:
        layout: The study's folders; the lock lives in ``<root>/workers/``.
    """

    def __init__(self, layout: StudyLayout) -> None:
        self.token = uuid.uuid4().hex
        self.host = socket.gethostname()
        self.pid = os.getpid()
        folder = layout.root / "workers"
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{self.token}.lock"
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        os.write(self._fd, f"{self.host} {self.pid}\n".encode())

    def attrs(self) -> dict[str, Any]:
        """The user attributes recorded on each trial this worker runs."""
        return {HOST_ATTR: self.host, PID_ATTR: self.pid, TOKEN_ATTR: self.token}

    def close(self) -> None:
        """Release the lock and remove its file."""
        if self._fd is not None:
            self.path.unlink(missing_ok=True)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _worker_alive(layout: StudyLayout, trial: optuna.trial.FrozenTrial) -> bool:
    """Whether the worker that runs ``trial`` still lives; unknown (other host) counts as alive.

    A trial without worker attributes is dead once it is older than :data:`UNCLAIMED_AFTER`
    seconds, the heartbeat grace period (its worker died between starting it and recording
    itself; a live worker records itself within milliseconds).
    """
    import datetime

    attrs = trial.user_attrs
    if HOST_ATTR not in attrs and trial.datetime_start is not None:
        now = datetime.datetime.now(trial.datetime_start.tzinfo)
        return (now - trial.datetime_start).total_seconds() < UNCLAIMED_AFTER
    if attrs.get(HOST_ATTR) != socket.gethostname():
        return True
    token = attrs.get(TOKEN_ATTR)
    lock_path = layout.root / "workers" / f"{token}.lock"
    if token and lock_path.exists():
        fd = os.open(lock_path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
            lock_path.unlink(missing_ok=True)
            return False
        finally:
            os.close(fd)
    pid = attrs.get(PID_ATTR)
    if not isinstance(pid, int):
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return token is None  # the worker wrote a token but its lock file is gone: it ended


def fail_dead_trials(
    study: optuna.Study, layout: StudyLayout, *, objectives: Sequence[str] = ()
) -> list[int]:
    """Mark RUNNING trials of dead local workers FAIL with the reason and re-queue them.

    A dead worker's trial whose ``metrics.json`` is on disk had finished: only the journal
    record of its end was lost (a torn last line). It is marked COMPLETE again with the
    ``objectives`` values from that file instead of failed.

    Returns:
        The numbers of the trials marked failed.
    """
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.trial import TrialState

    storage = study._storage
    failed: list[int] = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if _worker_alive(layout, trial):
            continue
        values = _finished_values(layout, trial, objectives)
        reason = DIED_REASON if HOST_ATTR in trial.user_attrs else UNCLAIMED_REASON
        try:
            if values is not None:
                storage.set_trial_state_values(trial._trial_id, state=TrialState.COMPLETE,
                                               values=values)
                continue
            storage.set_trial_user_attr(trial._trial_id, "fail_reason", reason)
            if not storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL):
                continue
        except UpdateFinishedTrialError:
            continue  # another worker got there first
        failed.append(trial.number)
        requeue(study, trial)
    return failed


def _finished_values(
    layout: StudyLayout, trial: optuna.trial.FrozenTrial, objectives: Sequence[str]
) -> list[float] | None:
    """The objective values in the trial's ``metrics.json`` (written last by a finished run)."""
    import math
    from pathlib import Path

    if not objectives:
        return None
    path = Path(trial.user_attrs.get("dir") or layout.trial_dir(trial.number)) / "metrics.json"
    try:
        metrics = read_state(path, what="trial metrics", on_corrupt="warn") or {}
        values = [float(metrics[name]) for name in objectives]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return None if any(math.isnan(v) for v in values) else values


def requeue_interrupted(trial: optuna.Trial) -> None:
    """Queue again the parameters of ``trial``, stopped by Ctrl-C or SIGTERM, like those of a
    dead worker's trial (the next run retries them first)."""
    requeue(trial.study, trial.study._storage.get_trial(trial._trial_id))


def requeue(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
    """Queue ``trial``'s parameters again, like ``RetryHeartbeatStaleTrialCallback`` does.

    Unlike that callback, the dead worker's identity and the failure reason are not copied, so
    the retry is not mistaken for the dead trial. Database storages call it for trials whose
    heartbeat stopped.
    """
    import optuna

    history = [*trial.system_attrs.get("retry_history", []), trial.number]
    if len(history) > MAX_RETRY:
        return
    system_attrs = {
        "failed_trial": trial.system_attrs.get("failed_trial", trial.number),
        "retry_history": history,
    }
    dropped = ("fail_reason", HOST_ATTR, PID_ATTR, TOKEN_ATTR, RUN_ATTR)
    user_attrs = {k: v for k, v in trial.user_attrs.items() if k not in dropped}
    study.add_trial(
        optuna.trial.create_trial(
            state=optuna.trial.TrialState.WAITING,
            params=trial.params,
            distributions=trial.distributions,
            user_attrs=user_attrs,
            system_attrs=system_attrs,
        )
    )


def fail_reason(trial: optuna.trial.FrozenTrial) -> str:
    """Why a FAIL trial failed (a trial failed by a heartbeat has no reason of its own)."""
    return str(trial.user_attrs.get("fail_reason") or DIED_REASON)
