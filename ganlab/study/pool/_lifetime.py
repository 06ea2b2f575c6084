"""Worker processes that live no longer than the ``study run`` that started them, and the lock
that lets one ``study run`` of a study at a time write the stages after the trials.

A worker asks the kernel for ``SIGKILL`` when its parent dies (``PR_SET_PDEATHSIG`` through
``prctl`` on Linux; a thread watching the parent's pid elsewhere), so ``kill -9`` of the parent
leaves no worker training on: their RUNNING trials are failed and retried by the next run, as
for any dead worker. SIGTERM and Ctrl-C raise in the worker once (later ones are ignored while
it records its trial as failed with the reason, see :class:`Interrupts`).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from ganlab.errors import Terminated
from ganlab.io import file_lock

if TYPE_CHECKING:
    from ganlab.study._layout import StudyLayout

PR_SET_PDEATHSIG = 1  # linux/prctl.h
PARENT_POLL_S = 1.0
REPEAT_S = 3.0  # a worker raises a signal again only this long after the last one it raised


def die_with_parent(parent_pid: int) -> None:
    """Make this process end when ``parent_pid`` (its parent) ends, even by ``kill -9``."""
    if not (sys.platform.startswith("linux") and _pdeathsig()):
        threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True,
                         name="ganlab-parent-watch").start()
    if os.getppid() != parent_pid:  # the parent died before the kernel was asked
        os._exit(1)


def _pdeathsig() -> bool:
    """Ask the kernel for SIGKILL when the parent dies; whether it agreed."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL_S)
    os._exit(1)


class Interrupts:
    """SIGTERM raises :class:`~ganlab.errors.Terminated` and SIGINT ``KeyboardInterrupt`` in a
    worker, so its running trial is failed with the reason and re-queued.

    A signal that arrives within :data:`REPEAT_S` of the last one raised is not raised again
    (a second Ctrl-C of a terminal does not cut the recording of the trial short). One that
    Python swallows (raised inside a weakref callback or ``__del__``) is not printed as a
    traceback; the parent sends the signal again until the worker ends.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self._raised_at: float | None = None
        self._unraisable = sys.unraisablehook

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self._handler)
        signal.signal(signal.SIGINT, self._handler)
        sys.unraisablehook = self._hook

    def _handler(self, signum: int, _frame: Any) -> None:
        self.signum = signum
        now = time.monotonic()
        if self._raised_at is not None and now - self._raised_at < REPEAT_S:
            return
        self._raised_at = now
        if signum == signal.SIGTERM:
            raise Terminated("SIGTERM")
        raise KeyboardInterrupt

    def _hook(self, info: Any) -> None:
        if isinstance(info.exc_value, KeyboardInterrupt):
            self._raised_at = None  # swallowed: raise again at the next signal
            return
        self._unraisable(info)


class StudyLock:
    """``runs/<study>/study.lock``, held by the ``study run`` that runs the baselines, ablation
    and ensembles, so that two runs of one study never write those folders at once.

    The trials need no lock (the storage serialises them); a second ``study run`` runs its
    trials and waits for the lock before the later stages, which it then finds done (cached).
    The kernel drops the lock when its holder dies.
    """

    def __init__(self, layout: StudyLayout) -> None:
        self.path = layout.root / "study.lock"
        self._lock = file_lock(self.path)
        self.held = False

    def try_acquire(self) -> bool:
        """Take the lock if it is free; whether this run holds it now."""
        from filelock import Timeout

        if not self.held:
            try:
                self._lock.acquire(timeout=0)
            except Timeout:
                return False
            self.held = True
        return True

    @property
    def waiting_line(self) -> str:
        return (f"another `study run` of this study holds {self.path} (its baselines, ablation "
                "or ensembles); waiting for it to finish")

    def release(self) -> None:
        if self.held:
            self._lock.release()
            self.held = False
