"""Optuna storages of a study, and the recovery of trials whose worker died.

**Default: Optuna's journal file storage** (``runs/<study>/optuna.journal``), not SQLite.
The journal is an append-only log of JSON lines: every write is one ``append`` under a file
lock, followed by ``fsync``, so several local worker processes (``--jobs``) share it without
SQLite's "database is locked" errors under concurrent writers, a kill can at worst leave a
half-written last line (repaired at start-up, see :func:`repair_journal`), and
``optuna-dashboard runs/<study>/optuna.journal`` opens it directly. SQLite would need
retries around every write and is unsafe on network file systems.

The lock is a kernel ``flock`` on ``optuna.journal.lock`` rather than Optuna's default
symlink lock: the kernel drops a ``flock`` when its process dies, so a worker killed with
SIGKILL while writing never leaves a stale lock that blocks everyone for a 30 s grace period.

**Shared storage for many machines**: ``--storage postgresql://user@host/db`` (any SQLAlchemy
URL) gives an :class:`optuna.storages.RDBStorage` with heartbeats. A trial whose worker stops
beating for ``grace_period`` seconds is marked FAIL and re-queued with the same parameters by
:class:`optuna.storages.RetryHeartbeatStaleTrialCallback` (the optuna 5 name of
``RetryFailedTrialCallback``, which is deprecated there).

The journal storage has no heartbeat in optuna 5, so every trial records the host, pid and a
worker token (user attributes), and each worker holds ``runs/<study>/workers/<token>.lock``
with ``flock`` while it lives. At start-up, :func:`fail_dead_trials` marks RUNNING trials of
this host whose worker lock is free as FAIL ("worker died (heartbeat lost or killed)") and
re-queues their parameters.
"""

from __future__ import annotations

import fcntl
import os
import random
import socket
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Optuna 4 and 5 define the journal lock base class in a private module (not re-exported)
from optuna.storages.journal._file import BaseJournalFileLock

from ganlab.errors import ConfigError, GanlabError
from ganlab.io import file_lock

if TYPE_CHECKING:
    import optuna
    from optuna.storages import BaseStorage

    from ganlab.study._layout import StudyLayout

DIED_REASON = "worker died (heartbeat lost or killed)"
MAX_RETRY = 2  # a trial whose worker dies is re-queued at most this many times
HOST_ATTR, PID_ATTR, TOKEN_ATTR = "ganlab:host", "ganlab:pid", "ganlab:worker"
_CONNECT_ATTEMPTS = 5
UNCLAIMED_AFTER = 120.0  # seconds a RUNNING trial may go without recording its worker


class FlockLock(BaseJournalFileLock):
    """Optuna's journal-file lock as :func:`ganlab.io.file_lock` (a kernel ``flock``).

    A subclass of Optuna's ``BaseJournalFileLock``: the kernel releases the lock when its holder
    dies, so a worker killed while writing never blocks the others.
    """

    def __init__(self, path: str | Path) -> None:
        self._lock = file_lock(path)

    def acquire(self) -> bool:
        self._lock.acquire()
        return True

    def release(self) -> None:
        self._lock.release()


def repair_journal(path: Path) -> int:
    """Cut a half-written last line (a writer killed mid-append); returns the bytes removed.

    The cut bytes are kept in ``<journal>.torn`` for inspection.
    """
    if not path.exists() or path.stat().st_size == 0:
        return 0
    lock = FlockLock(f"{path}.lock")
    lock.acquire()
    try:
        with path.open("rb+") as fh:
            data = fh.read()
            if data.endswith(b"\n"):
                return 0
            keep = data.rfind(b"\n") + 1
            with open(f"{path}.torn", "ab") as torn:
                torn.write(data[keep:] + b"\n")
            fh.truncate(keep)
            fh.flush()
            os.fsync(fh.fileno())
            return len(data) - keep
    finally:
        lock.release()


def open_storage(
    url: str | None,
    layout: StudyLayout,
    *,
    heartbeat_interval: int = 10,
    grace_period: int = 30,
) -> BaseStorage:
    """The storage of a study.

    Args:
        url: ``None`` (journal file in the study folder), ``":memory:"`` (in-memory, for tests
            and throw-away studies), a path ending in ``.journal``, or a SQLAlchemy URL
            (``postgresql://...``, ``mysql://...``, ``sqlite:///...``).
        layout: The study's folders.
        heartbeat_interval: Seconds between heartbeats of a running trial (RDB storages).
        grace_period: Seconds without heartbeat before a trial counts as dead (RDB storages).
    """
    import optuna
    from optuna.storages import JournalStorage, RDBStorage, RetryHeartbeatStaleTrialCallback
    from optuna.storages.journal import JournalFileBackend

    if url == ":memory:":
        return optuna.storages.InMemoryStorage()
    if url is None or url.endswith(".journal"):
        path = layout.journal if url is None else Path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        repair_journal(path)
        backend = JournalFileBackend(str(path), lock_obj=FlockLock(f"{path}.lock"))
        return JournalStorage(backend)
    if "://" not in url:
        raise ConfigError(
            f"--storage {url!r}: expected a database URL such as "
            "postgresql://user@host:5432/db or sqlite:///runs/x.db, a .journal file path, "
            "or :memory:"
        )
    _silence_experimental_warnings()
    url = database_url(url)
    for attempt in range(_CONNECT_ATTEMPTS):
        try:
            return RDBStorage(
                url,
                heartbeat_interval=heartbeat_interval,
                grace_period=grace_period,
                heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(
                    max_retry=MAX_RETRY
                ),
                engine_kwargs={"pool_pre_ping": True} if not url.startswith("sqlite") else None,
            )
        except ImportError as exc:
            last: Exception = exc
            break
        except Exception as exc:  # noqa: BLE001 - retried, then a user message
            # workers started together race to create the schema; the loser retries
            last = exc
            time.sleep(0.2 + random.random() * 0.5 * (attempt + 1))
    raise ConfigError(
        f"--storage {_redact(url)}: cannot open the database: {type(last).__name__}: "
        f"{str(last).splitlines()[0] if str(last) else ''}. Check that the server runs and the "
        "URL (user, host, port, database) is right; PostgreSQL needs the psycopg2-binary "
        "package (`pip install psycopg2-binary`)."
    ) from last


def database_url(url: str) -> str:
    """``postgresql://`` with the driver that is installed.

    SQLAlchemy 2.1 maps a bare ``postgresql://`` to psycopg 3; ganlab's ``postgres`` extra
    installs psycopg2, so the bare scheme is pointed at whichever driver is importable.
    """
    import importlib.util

    if url.startswith("postgresql://") or url.startswith("postgres://"):
        rest = url.split("://", 1)[1]
        for module, driver in (("psycopg2", "psycopg2"), ("psycopg", "psycopg")):
            if importlib.util.find_spec(module) is not None:
                return f"postgresql+{driver}://{rest}"
    return url


def describe_storage(url: str | None, layout: StudyLayout) -> str:
    """A printable form of the storage (passwords removed)."""
    if url is None:
        return str(layout.journal)
    return _redact(url)


def _redact(url: str) -> str:
    if "://" in url and "@" in url:
        scheme, rest = url.split("://", 1)
        cred, host = rest.rsplit("@", 1)
        return f"{scheme}://{cred.split(':', 1)[0]}@{host}"
    return url


def _silence_experimental_warnings() -> None:
    import warnings

    from optuna.exceptions import ExperimentalWarning

    warnings.filterwarnings("ignore", category=ExperimentalWarning)


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
    seconds (its worker died between starting it and recording itself).
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


def fail_dead_trials(study: optuna.Study, layout: StudyLayout) -> list[int]:
    """Mark RUNNING trials of dead local workers FAIL with :data:`DIED_REASON` and re-queue them.

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
        try:
            storage.set_trial_user_attr(trial._trial_id, "fail_reason", DIED_REASON)
            if not storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL):
                continue
        except UpdateFinishedTrialError:
            continue  # another worker got there first
        failed.append(trial.number)
        _requeue(study, trial)
    return failed


def _requeue(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
    """Queue ``trial``'s parameters again, like ``RetryHeartbeatStaleTrialCallback`` does.

    Unlike that callback, the dead worker's identity and the failure reason are not copied, so
    the retry is not mistaken for the dead trial.
    """
    import optuna

    history = [*trial.system_attrs.get("retry_history", []), trial.number]
    if len(history) > MAX_RETRY:
        return
    system_attrs = {
        "failed_trial": trial.system_attrs.get("failed_trial", trial.number),
        "retry_history": history,
    }
    dropped = ("fail_reason", HOST_ATTR, PID_ATTR, TOKEN_ATTR)
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


def redact_url(url: str | None) -> str | None:
    """``url`` with any password replaced by ``***``, safe to write into ``study.json``."""
    if not url or "://" not in url or "@" not in url:
        return url
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not an SQLAlchemy URL: keep it as it is
        return url


def recorded_url(recorded: str | None, given: str | None) -> str | None:
    """The storage URL to reopen a study with: ``given``, else the recorded one.

    A recorded URL whose password was redacted needs the real one again, from ``--storage`` or
    the ``GANLAB_STORAGE`` environment variable.
    """
    import os

    if given is not None:
        return given
    if recorded and ":***@" in recorded:
        env = os.environ.get("GANLAB_STORAGE")
        if env:
            return env
        raise GanlabError(
            f"the study's storage {recorded} needs its password, which ganlab does not store; "
            "pass --storage URL or set GANLAB_STORAGE"
        )
    return recorded
