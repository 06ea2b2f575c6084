"""The pool's scheduler: which unit each idle worker takes next.

Shared GANs first (each unblocks several runs; with their references and scoring), then a trial
while the study has room for one, then the baseline and ablation runs in ``--jobs 1`` order. A
unit that needs a GAN still being trained waits; the worker takes the next unit that does not.
Baseline and ablation runs start only once this run holds the study lock. Results do not
depend on the order: every unit seeds itself (the GAN and the classifier from the run's seed,
the sampler from the trial number), so ``--jobs 2`` writes the same metrics as ``--jobs 1``
where the sampler's draws do not depend on earlier trials' results (random sampling, TPE's
start-up trials).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ganlab.errors import GanlabError
from ganlab.study.events import EventFn, RunFinished, StageWaiting
from ganlab.study.optimize._optimize import (
    WAIT_POLL_S,
    close_trials,
    count_failure,
    finished_states,
    poll_dead_trials,
)
from ganlab.study.pipeline._run_pipeline import load_run
from ganlab.study.pool._units import GAN_KINDS, TRIAL, Unit
from ganlab.study.storage._workers import RUN_ATTR

if TYPE_CHECKING:
    from ganlab.config import Config
    from ganlab.study.optimize._optimize import OptimizeSummary, TrialsRun
    from ganlab.study.pool._lifetime import StudyLock
    from ganlab.study.pool._procs import WorkerProcs


@dataclass
class Scheduler:
    """Hands units to idle workers until none is left (see the module docstring).

    Args:
        cfg: The study file.
        procs: The workers.
        trials: The opened trials stage (``None``: no trials to run).
        gans, runs: The shared-GAN units and the baseline/ablation runs.
        trial_gan: The GAN every trial needs, if known before the trial starts.
        lock: The study lock the runs need (``None``: no runs).
        emit: Progress callback (the workers' events are passed on).
        stage_done: Called with ``baselines``/``ablation`` when its last run ended.
    """

    cfg: Config
    procs: WorkerProcs
    trials: TrialsRun | None
    gans: list[Unit]
    runs: list[Unit]
    trial_gan: str | None
    lock: StudyLock | None
    emit: EventFn
    stage_done: Callable[[str], None]
    running: dict[int, Unit] = field(default_factory=dict)
    summary: OptimizeSummary | None = None
    errors: list[str] = field(default_factory=list)  # why work stopped short
    fatal: GanlabError | None = None
    _failures: list[str] = field(default_factory=list)
    _trials_stopped: bool = False
    _last_poll: float = 0.0
    _told_waiting: bool = False
    _stages_open: set[str] = field(default_factory=set)  # stages whose table is not written

    def __post_init__(self) -> None:
        self._stages_open = {u.stage for u in self.runs}

    def run(self) -> None:
        """Dispatch and collect until every unit ended (or a fatal error stopped the pool)."""
        self._skip_finished_runs()
        while self._work_left():
            self._dispatch()
            for i, msg in self.procs.receive(timeout=1.0):
                self._handle(i, msg)
            self._check_trials()
            self._finish_stages()

    def _work_left(self) -> bool:
        if self.running:
            return True
        if self.fatal is not None or not self.procs.alive:
            if self.trials is not None and self.summary is None and not self.errors:
                self.errors.append("every worker process stopped")
            return False
        return bool(self.gans or self.runs or self._stages_open
                    or (self.trials is not None and self.summary is None))

    def _skip_finished_runs(self) -> None:
        """Finished runs are never repeated: report them cached without a worker."""
        for unit in [u for u in self.runs if load_run(u.out_dir) is not None]:
            self.runs.remove(unit)
            done = load_run(unit.out_dir) or {}
            self.emit(RunFinished(unit.label, unit.seed, "CACHED", metrics=done["metrics"],
                                  stage=unit.stage))

    def _dispatch(self) -> None:
        for i in sorted(self.procs.alive - set(self.running)):
            unit = self._next()
            if unit is None:
                return
            self.procs.send(i, unit)
            self.running[i] = unit

    def _next(self) -> Unit | None:
        if self.fatal is not None:
            return None
        for unit in self.gans:
            if self._gan_ready(unit.gan):
                self.gans.remove(unit)
                return unit
        if self._trial_ready():
            return TRIAL
        if not self.runs or self.lock is None or not self._locked():
            return None
        for unit in self.runs:
            if self._gan_ready(unit.gan):
                self.runs.remove(unit)
                return unit
        return None

    def _gan_ready(self, key: str | None) -> bool:
        pending = {u.id for u in self.gans} | {u.id for u in self.running.values()}
        return key is None or f"gan:{key}" not in pending

    def _locked(self) -> bool:
        assert self.lock is not None
        if self.lock.try_acquire():
            return True
        if not self._told_waiting:
            self._told_waiting = True
            self.emit(StageWaiting("baselines, ablation", self.lock.waiting_line))
        return False

    def _trial_ready(self) -> bool:
        if self.trials is None or self.summary is not None or self._trials_stopped:
            return False
        return self._gan_ready(self.trial_gan) and self._trial_room() > 0

    def _trial_room(self) -> int:
        """Trials that may start now: the study's wanted ones less the finished, the running
        elsewhere (other machines) and this pool's own."""
        from optuna.trial import TrialState

        t = self.trials
        assert t is not None
        if t.deadline is not None and time.time() >= t.deadline:
            return 0
        trials = t.study.get_trials(deepcopy=False)
        finished = sum(x.state in finished_states() for x in trials)
        elsewhere = sum(x.state == TrialState.RUNNING and x.user_attrs.get(RUN_ATTR) != t.run_id
                        for x in trials)
        ours = sum(u.kind == "trial" for u in self.running.values())
        return t.n_trials - finished - elsewhere - ours

    def _handle(self, i: int, msg: tuple) -> None:
        kind = msg[0]
        if kind == "event":
            self.emit(msg[1])
            return
        unit = self.running.pop(i, None)
        if kind == "died":
            self.errors.append(f"worker {i} stopped (exit {msg[1]})"
                               + (f" while running {unit.id}" if unit else ""))
        elif kind == "fatal":
            self.fatal = msg[2]
        elif unit is not None and unit.kind == "trial":
            self._trial_ended(*msg[2])
        elif unit is not None and unit.kind in GAN_KINDS and msg[2]:
            self.errors.append(f"{unit.label}: {msg[2]}")

    def _trial_ended(self, number: int | None, reason: str | None) -> None:
        assert self.trials is not None
        try:
            count_failure(self._failures, number, reason, self.trials.layout)
        except GanlabError as exc:
            self._trials_stopped = True
            self.errors.append(str(exc))

    def _finish_stages(self) -> None:
        """Write the tables of the stages whose runs all ended (under the study lock)."""
        for stage in sorted(self._stages_open):
            if any(u.stage == stage for u in [*self.runs, *self.running.values()]):
                continue
            if self.fatal is not None or (self.lock is not None and not self._locked()):
                return
            self._stages_open.discard(stage)
            self.stage_done(stage)

    def _check_trials(self) -> None:
        """Close the trials stage once no more trials will start; meanwhile fail the trials
        of dead workers elsewhere, so their room is freed."""
        t = self.trials
        if t is None or self.summary is not None:
            return
        if any(u.kind == "trial" for u in self.running.values()):
            return
        finished = sum(x.state in finished_states() for x in t.study.get_trials(deepcopy=False))
        out_of_time = t.deadline is not None and time.time() >= t.deadline
        if finished >= t.n_trials or out_of_time or self._trials_stopped or self.fatal:
            self._close_trials()
        elif time.time() - self._last_poll >= WAIT_POLL_S:
            self._last_poll = time.time()
            poll_dead_trials(t.study, t.layout, self.cfg)

    def _close_trials(self) -> None:
        assert self.trials is not None
        try:
            self.summary = close_trials(self.cfg, self.trials, self.emit)
        except GanlabError as exc:
            self.summary = _NO_SUMMARY
            if not self.errors:
                self.errors.append(str(exc))


_NO_SUMMARY: Any = object()  # the trials stage ended short (its error is in ``errors``)
