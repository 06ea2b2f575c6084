"""The worker processes of the pool: started with ``spawn``, one GPU each when pinned, a share
of the CPU threads each, and tied to the parent's life (:mod:`._lifetime`).

Parent and worker talk over one pipe per worker: the parent sends a :class:`~._units.Unit`
(``None``: stop); the worker sends ``("event", event)`` for progress, then ``("done", id,
outcome)`` or ``("fatal", id, error)`` when a unit ends.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

from ganlab.errors import GanlabError
from ganlab.study.optimize._gpus import GPU_ATTR, only_gpu
from ganlab.study.pool._lifetime import REPEAT_S, Interrupts, die_with_parent
from ganlab.study.storage._workers import RUN_ATTR

if TYPE_CHECKING:
    from ganlab.config import Config

STOP_GRACE_S = 60.0  # how long stopped workers get to record their interrupted trials


def worker_main(conn: Connection, cfg: Config, url: str | None, device_name: str,
                threads: int, gpu: str | None, run_id: str, parent_pid: int) -> None:
    """Entry point of a worker: run the units the parent sends until it says stop."""
    die_with_parent(parent_pid)
    interrupts = Interrupts()
    interrupts.install()
    import optuna
    import torch

    from ganlab.study.pool._units import WorkerState

    torch.set_num_threads(threads)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    if gpu is not None:
        device_name = "cuda"  # CUDA_VISIBLE_DEVICES holds just this GPU: it is cuda:0
    state = WorkerState(cfg, url, device_name, {RUN_ATTR: run_id, GPU_ATTR: gpu},
                        emit=lambda ev: conn.send(("event", ev)))
    try:
        while interrupts.signum is None and (unit := _receive(conn)) is not None:
            try:
                outcome = state.run(unit)
            except GanlabError as exc:  # a full disk: every next unit would fail too
                conn.send(("fatal", unit.id, exc))
                return
            conn.send(("done", unit.id, outcome))
    except KeyboardInterrupt:
        return  # the interrupted trial is recorded as failed (and re-queued) by its objective
    finally:
        state.close()
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the parent's repeats: ending anyway
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _receive(conn: Connection) -> Any:
    try:
        return conn.recv()
    except EOFError:  # the parent is gone
        return None


class WorkerProcs:
    """``len(gpus)`` worker processes; worker ``i`` sees only GPU ``gpus[i]`` (if not None).

    Args:
        cfg: The study file; url, device_name, run_id: as for the trials.
        gpus: The GPU of each worker (``assign_gpus``), which also gives their number.
    """

    def __init__(self, cfg: Config, *, url: str | None, device_name: str,
                 gpus: list[str | None], run_id: str) -> None:
        ctx = multiprocessing.get_context("spawn")
        threads = max(1, (os.cpu_count() or 1) // len(gpus))  # each worker's share of cores
        self.procs: list[Any] = []
        self.conns: list[Connection] = []
        for i, gpu in enumerate(gpus):
            ours, theirs = ctx.Pipe()
            proc = ctx.Process(target=worker_main, name=f"ganlab-worker-{i}",
                               args=(theirs, cfg, url, device_name, threads, gpu, run_id,
                                     os.getpid()))
            with only_gpu(gpu):  # the child starts with this GPU as its only visible one
                proc.start()
            theirs.close()
            self.procs.append(proc)
            self.conns.append(ours)
        self.alive = set(range(len(gpus)))

    def send(self, i: int, unit: Any) -> None:
        self.conns[i].send(unit)

    def receive(self, timeout: float) -> list[tuple[int, tuple]]:
        """Messages of the workers (``(i, ("died", exit code))`` when one ended)."""
        ready = wait([self.conns[i] for i in self.alive], timeout=timeout)
        out: list[tuple[int, tuple]] = []
        for i in sorted(self.alive):
            conn = self.conns[i]
            if conn not in ready:
                continue
            try:
                while conn.poll():
                    out.append((i, conn.recv()))
            except (EOFError, OSError):
                self.procs[i].join(5)
                self.alive.discard(i)
                out.append((i, ("died", self.procs[i].exitcode)))
        return out

    def stop(self, signum: int | None = None) -> None:
        """Stop every worker: ``signum`` first interrupts their units (their trials are then
        failed with the reason and re-queued); otherwise they end after their unit."""
        for i in self.alive:
            if signum is not None:
                _signal(self.procs[i], signum)
            try:
                self.conns[i].send(None)
            except (OSError, ValueError):
                pass
        import time

        start = sent = time.time()
        while self.alive and time.time() < start + STOP_GRACE_S:
            self.receive(0.2)  # drain their pipes: a worker blocked on a send never ends
            if signum is not None and time.time() - sent > 2 * REPEAT_S:
                sent = time.time()  # again, in case a worker's Python swallowed it
                for i in self.alive:
                    _signal(self.procs[i], signum)
        for proc in self.procs:
            if proc.is_alive():
                proc.kill()
            proc.join()
        for conn in self.conns:
            conn.close()


def _signal(proc: Any, signum: int) -> None:
    try:
        os.kill(proc.pid, signum)
    except ProcessLookupError:
        pass


def interrupt_signal(exc: BaseException) -> int:
    """The signal that passes ``exc`` (the parent's) on to the workers."""
    from ganlab.errors import Terminated

    return signal.SIGINT if isinstance(exc, KeyboardInterrupt) and not isinstance(
        exc, Terminated) else signal.SIGTERM
