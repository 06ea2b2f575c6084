"""Opening the Optuna storage of a study, and storage URLs (driver choice, redaction).

The default is the journal file in the study folder (see :mod:`ganlab.study.storage._journal`).

**Shared storage for many machines**: ``--storage postgresql://user@host/db`` (any SQLAlchemy
URL) gives an :class:`optuna.storages.RDBStorage` whose running trials beat every
``study.heartbeat_seconds``. A trial whose worker misses :data:`GRACE_BEATS` beats (killed,
stopped, machine lost) is marked FAIL by the next worker that looks, and its parameters are
re-queued as Optuna's ``RetryHeartbeatStaleTrialCallback`` (the optuna 5 name of
``RetryFailedTrialCallback``) does, but without the dead worker's identity
(:func:`~ganlab.study.storage._workers.requeue`). Each worker keeps at most
:data:`POOL_CONNECTIONS` database connections (its trial loop and its heartbeat thread).
"""

from __future__ import annotations

import functools
import random
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganlab.config import (
    Config,
    config_record,
    has_masked_secret,
    mask_secrets,
    redact_url,
    without_secrets,
)
from ganlab.errors import ConfigError, GanlabError
from ganlab.io import atomic_write_json, read_state
from ganlab.study.storage._journal import FlockLock, check_journal, repair_journal
from ganlab.study.storage._workers import requeue

if TYPE_CHECKING:
    from optuna.storages import BaseStorage

    from ganlab.study._layout import StudyLayout

_CONNECT_ATTEMPTS = 5
GRACE_BEATS = 3  # heartbeats a running trial may miss before its worker counts as dead
POOL_CONNECTIONS = 2  # database connections per worker: the trial loop and the heartbeat


def open_storage(
    url: str | None,
    layout: StudyLayout,
    *,
    heartbeat_seconds: float = 10.0,
    read_only: bool = False,
) -> BaseStorage:
    """The storage of a study.

    Args:
        url: ``None`` (journal file in the study folder), ``":memory:"`` (in-memory, for tests
            and throw-away studies), a path ending in ``.journal``, or a SQLAlchemy URL
            (``postgresql://...``, ``mysql://...``, ``sqlite:///...``).
        layout: The study's folders.
        heartbeat_seconds: Seconds between heartbeats of a running trial (database storages,
            ``study.heartbeat_seconds``); one silent for :data:`GRACE_BEATS` times as long is
            failed and retried.
        read_only: Only read (``study show``, ``list``, ``report``): a journal is neither
            created nor repaired and no lock file is made, so a read-only folder works.
    """
    import optuna
    from optuna.storages import RDBStorage

    if url == ":memory:":
        return optuna.storages.InMemoryStorage()
    if url is None or url.endswith(".journal"):
        return _open_journal(layout.journal if url is None else Path(url), layout, read_only)
    if "://" not in url:
        raise ConfigError(
            f"--storage {redact_url(url)!r}: expected a database URL such as "
            "postgresql://user@host:5432/db or sqlite:///runs/x.db, a .journal file path, "
            "or :memory:"
        )
    _silence_experimental_warnings()
    url = database_url(url)
    for attempt in range(_CONNECT_ATTEMPTS):
        try:
            return RDBStorage(
                url,
                heartbeat_interval=heartbeat_seconds,  # type: ignore[arg-type] # float works
                grace_period=GRACE_BEATS * heartbeat_seconds,  # type: ignore[arg-type]
                # its retry is queued without the dead worker's host, pid and token
                heartbeat_stale_trial_callback=requeue,
                engine_kwargs=_engine_kwargs(url),
            )
        except ImportError as exc:
            last: Exception = exc
            break
        except Exception as exc:  # noqa: BLE001 - retried, then a user message
            # workers started together race to create the schema; the loser retries
            last = exc
            time.sleep(0.2 + random.random() * 0.5 * (attempt + 1))
    why = mask_secrets(str(last).splitlines()[0] if str(last) else "", url)
    raise ConfigError(
        f"--storage {redact_url(url)}: cannot open the database: {type(last).__name__}: "
        f"{why}. Check that the server runs and the "
        "URL (user, host, port, database) is right; PostgreSQL needs the psycopg2-binary "
        "package (`pip install psycopg2-binary`)."
    ) from last


def _engine_kwargs(url: str) -> dict[str, Any] | None:
    """SQLAlchemy engine options: connections checked before use, a small fixed pool.

    A worker uses one connection for its trial loop and one for its heartbeat thread; a pool
    of :data:`POOL_CONNECTIONS` with no overflow keeps a database's connection count at most
    that many per worker (PostgreSQL's default limit is 100).
    """
    if url.startswith("sqlite"):
        return None
    return {"pool_pre_ping": True, "pool_size": POOL_CONNECTIONS, "max_overflow": 0}


def _open_journal(path: Path, layout: StudyLayout, read_only: bool) -> BaseStorage:
    """The journal storage at ``path``: repaired (torn last line) and checked (corrupt lines)."""
    from optuna.storages import JournalStorage

    if read_only:
        if not path.is_file():
            raise GanlabError(f"{path}: no journal file; the study has no stored trials")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        repair_journal(path)
    check_journal(path, layout.root.name)
    backend = NamedJournalFileBackend(str(path), lock_obj=FlockLock(f"{path}.lock"))
    return JournalStorage(backend)


@functools.cache
def _named_backend_class() -> type:
    from optuna.storages.journal import JournalFileBackend

    class NamedJournalFileBackend(JournalFileBackend):
        """Optuna's journal file backend whose write errors name the journal file."""

        def append_logs(self, logs: list[dict[str, Any]]) -> None:
            try:
                super().append_logs(logs)
            except OSError as exc:
                if exc.filename:
                    raise
                raise type(exc)(exc.errno, exc.strerror, self._file_path) from exc

    return NamedJournalFileBackend


def NamedJournalFileBackend(*args: Any, **kwargs: Any) -> Any:  # noqa: N802 - a lazy class
    """Optuna's ``JournalFileBackend``, naming the file in write errors (optuna imported late)."""
    return _named_backend_class()(*args, **kwargs)


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
    return redact_url(url)


def _silence_experimental_warnings() -> None:
    import warnings

    from optuna.exceptions import ExperimentalWarning

    warnings.filterwarnings("ignore", category=ExperimentalWarning)


def recorded_url(recorded: str | None, given: str | None) -> str | None:
    """The storage URL to reopen a study with: ``given``, else the recorded one.

    A recorded URL whose credentials were redacted (``user:***@``, ``?password=***``) needs
    them again: from
    ``--storage`` (``given``), the ``GANLAB_STORAGE`` environment variable, or, for PostgreSQL,
    libpq's own ``PGPASSWORD`` / ``PGPASSFILE`` (``~/.pgpass``): then the URL is used without a
    password and the driver finds it there.
    """
    import os

    if given is not None:
        return given
    if has_masked_secret(recorded):
        env = os.environ.get("GANLAB_STORAGE")
        if env:
            return env
        if recorded.startswith("postgres") and _libpq_password_available():
            return without_secrets(recorded)
        raise GanlabError(
            f"the study's storage {recorded} needs its password, which ganlab does not store; "
            "pass --storage URL, set GANLAB_STORAGE, or (PostgreSQL) set PGPASSWORD or "
            "PGPASSFILE (~/.pgpass)"
        )
    return recorded


def record_study(cfg: Config, layout: StudyLayout, url: str | None) -> None:
    """Write ``<output>/<name>/study.json``: the config and the (redacted) storage URL.

    ``url`` None keeps a previously recorded storage. Report, show and list read this file.
    """
    path = layout.study_json
    previous = read_state(path, what="study record", on_corrupt="set_aside") or {}
    atomic_write_json(path, {
        "name": cfg.study.name,
        "source": str(cfg.source),
        "storage": redact_url(url) if url is not None else previous.get("storage"),
        **config_record(cfg),  # source, profile, overrides, config
    })


def optimised(layout: StudyLayout, *, read_only: bool = False) -> bool:
    """Whether ``study run`` ever stored trials: a journal file, or a recorded storage URL.

    A corrupt ``study.json`` counts as none; it is set aside unless ``read_only`` (reports).
    """
    if layout.journal.exists():
        return True
    rec = read_state(layout.study_json, what="study record",
                     on_corrupt="warn" if read_only else "set_aside") or {}
    return rec.get("storage") is not None


def record_unless_optimised(cfg: Config, layout: StudyLayout) -> None:
    """Record ``cfg`` for ``study ablate``/``baselines`` unless ``study run`` owns the record.

    A study that was never optimised is described by its latest command's config, so its
    report shows the seeds and cells that command ran (not those of an earlier partial run).
    """
    if not optimised(layout):
        record_study(cfg, layout, None)


def _libpq_password_available() -> bool:
    import os

    if os.environ.get("PGPASSWORD") or os.environ.get("PGPASSFILE"):
        return True
    return (Path.home() / ".pgpass").is_file()
