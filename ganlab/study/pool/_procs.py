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

from ganlab.errors import GanlabError, Terminated
from ganlab.study._gpus import GPU_ATTR, only_gpu
from ganlab.study.pool._lifetime import REPEAT_S, Interrupts, die_with_parent
from ganlab.study.pool._units import WorkerState
from ganlab.study.storage._workers import RUN_ATTR

if TYPE_CHECKING:
    from ganlab.config import Config
    from ganlab.study._context import RunContext

STOP_GRACE_S = 60.0  # how long stopped workers get to record their interrupted trials


def worker_main(conn: Connection, cfg: Config, ctx: RunContext, threads: int, run_id: str,
                parent_pid: int) -> None:
    """Entry point of a worker: run the units the parent sends until it says stop (``ctx``:
    the worker's context, :meth:`RunContext.for_worker`)."""
    die_with_parent(parent_pid)
    interrupts = Interrupts()
    interrupts.install()
    import dataclasses

    import optuna
    import torch

    torch.set_num_threads(threads)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    ctx = dataclasses.replace(ctx, on_event=lambda ev: conn.send(("event", ev)))
    state = WorkerState(cfg, ctx, {RUN_ATTR: run_id, GPU_ATTR: ctx.workers[0]})
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
    """``ctx.jobs`` worker processes; worker ``i`` sees only GPU ``ctx.workers[i]`` (if not
    None) and gets ``ctx.worker_threads()`` torch threads.

    Args:
        cfg: The study file.
        ctx: The run's context (device, GPUs, storage, trackers, pipeline).
        run_id: Marks the trials this run starts.
    """

    def __init__(self, cfg: Config, ctx: RunContext, *, run_id: str) -> None:
        spawn = multiprocessing.get_context("spawn")
        threads = ctx.worker_threads()
        self.procs: list[Any] = []
        self.conns: list[Connection] = []
        for i, gpu in enumerate(ctx.workers):
            ours, theirs = spawn.Pipe()
            proc = spawn.Process(target=worker_main, name=f"ganlab-worker-{i}",
                                 args=(theirs, cfg, ctx.for_worker(gpu), threads, run_id,
                                       os.getpid()))
            with only_gpu(gpu):  # the child starts with this GPU as its only visible one
                proc.start()
            theirs.close()
            self.procs.append(proc)
            self.conns.append(ours)
        self.alive = set(range(ctx.jobs))

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

    return signal.SIGINT if isinstance(exc, KeyboardInterrupt) and not isinstance(
        exc, Terminated) else signal.SIGTERM
