"""Running the Optuna trials in this process, over a storage other workers may share.

``n_trials`` counts finished trials (COMPLETE or PRUNED) of the whole study: running the same
command again starts only the missing ones, and workers on other machines that join the same
storage stop when the study has enough. Before each trial a worker checks ``finished + running
< n_trials``, so concurrent workers overshoot by at most the trials started in the same instant.

Several worker processes on this machine (``--jobs N``) are the pool's
(:mod:`ganlab.study.pool`); both ways start from :func:`open_trials` and end with
:func:`close_trials`, and both run each trial with a :class:`TrialWorker`.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ganlab.errors import ConfigError, GanlabError
from ganlab.study._gpus import GPU_ATTR
from ganlab.study._layout import StudyLayout
from ganlab.study.events import (
    EventFn,
    StageFinished,
    StageStarted,
    TrialFinished,
)
from ganlab.study.optimize._objective import TrialObjective
from ganlab.study.optimize._preflight import check_study
from ganlab.study.optimize._samplers import create_pruner, create_sampler
from ganlab.study.optimize._seeds import per_trial_sampler
from ganlab.study.optimize._space import expand_search_space
from ganlab.study.storage._storage import open_storage, record_study
from ganlab.study.storage._workers import RUN_ATTR, WorkerToken, fail_dead_trials

if TYPE_CHECKING:
    import optuna

    from ganlab.config import Config
    from ganlab.study._context import RunContext

MAX_CONSECUTIVE_FAILURES = 5  # a worker stops after this many failed trials in a row
LATE_REASON = ("declared dead by another worker (no heartbeat for the grace period); "
               "its retry runs elsewhere")
WAIT_POLL_S = 1.0  # how often a worker waiting for other workers' last trials looks again


@dataclass
class OptimizeSummary:
    """What one ``optimize_study`` call did."""

    study_name: str
    n_finished: int  # COMPLETE + PRUNED trials of the whole study afterwards
    n_started: int  # trials this call started
    failed_dead: list[int]  # trials of dead workers marked FAIL at start-up
    best: dict[str, Any] | None  # number, values, params of the best trial (single objective)
    study: Any = None  # the optuna.Study (in-memory studies cannot be reloaded)


def finished_states() -> tuple[Any, ...]:
    from optuna.trial import TrialState

    return (TrialState.COMPLETE, TrialState.PRUNED)


def load_or_create_study(
    cfg: Config, storage: Any, *, params: list | None = None
) -> optuna.Study:
    """Create the study in ``storage`` or join it; its directions must match the file's.

    The sampler is re-seeded per trial (:mod:`ganlab.study.optimize._seeds`), so workers and
    restarts never draw the same parameters.
    """
    import optuna

    params = expand_search_space(cfg) if params is None else params
    directions = [o.direction for o in cfg.study.objectives]
    sampler = per_trial_sampler(
        lambda seed: create_sampler(cfg.study.sampler, seed=seed, params=params,
                                    n_objectives=len(directions)),
        cfg.study.seed,
    )
    pruner = create_pruner(cfg.study.pruner)
    study = optuna.create_study(storage=storage, study_name=cfg.study.name, sampler=sampler,
                                pruner=pruner, directions=directions, load_if_exists=True)
    have = [d.name.lower() for d in study.directions]
    if have != directions:
        raise ConfigError(
            f"{cfg.source}: study {cfg.study.name!r} already exists in this storage with "
            f"directions {have}, but the file asks for {directions}. Use another study.name "
            "or restore the objectives"
        )
    names = [o.metric for o in cfg.study.objectives]
    if study.metric_names != names:  # optuna-dashboard shows these instead of "Objective 0"
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.set_metric_names(names)
    return study


@dataclass
class TrialsRun:
    """The trials stage of one ``study run`` call, opened by :func:`open_trials`."""

    study: Any  # the optuna.Study
    layout: StudyLayout
    params: list
    n_trials: int
    deadline: float | None
    run_id: str  # marks the trials this call starts (its "started now")
    failed_dead: list[int]


def open_trials(cfg: Config, ctx: RunContext, *, n_trials: int | None = None,
                timeout: float | None = None) -> TrialsRun:
    """Check the study file, open (or create) the study in ``ctx.storage``, fail dead
    workers' trials, announce the ``trials`` stage; what every way of running the trials
    starts from.

    Args:
        cfg: The loaded study file.
        ctx: The run's context (its storage and progress sink).
        n_trials: Finished trials wanted (default ``study.n_trials``).
        timeout: Stop starting trials after this many seconds (default ``study.timeout``).
    """

    check_study(cfg)
    n_trials = cfg.study.n_trials if n_trials is None else n_trials
    timeout = cfg.study.timeout if timeout is None else timeout
    layout = StudyLayout.of_config(cfg)
    layout.root.mkdir(parents=True, exist_ok=True)
    params = expand_search_space(cfg)
    store = open_storage(ctx.storage, layout, heartbeat_seconds=cfg.study.heartbeat_seconds)
    study = load_or_create_study(cfg, store, params=params)
    record_study(cfg, layout, ctx.storage)
    objectives = [o.metric for o in cfg.study.objectives]
    failed_dead = fail_dead_trials(study, layout, objectives=objectives)
    deadline = time.time() + timeout if timeout else None
    ctx.on_event(StageStarted("trials", total=n_trials, done=sum(
        t.state in finished_states() for t in study.get_trials(deepcopy=False))))
    return TrialsRun(study, layout, params, n_trials, deadline, uuid.uuid4().hex, failed_dead)


def run_trials(cfg: Config, trials: TrialsRun, ctx: RunContext) -> None:
    """Run the opened trials in this process, on ``ctx.device``, until the study has
    ``trials.n_trials`` finished ones (or the deadline passes)."""
    _worker_loop(cfg, trials, ctx, {RUN_ATTR: trials.run_id, GPU_ATTR: ctx.workers[0]})


def close_trials(cfg: Config, trials: TrialsRun, on_event: EventFn | None = None
                 ) -> OptimizeSummary:
    """The summary of the trials stage, announced as its end (an error if it ended short)."""
    summary = _summary(cfg, trials.study, trials.n_trials, trials.deadline, trials.run_id,
                       trials.failed_dead)
    (on_event or (lambda _e: None))(StageFinished("trials", _trials_line(summary, trials.study)))
    return summary


def _summary(cfg: Config, study: optuna.Study, n_trials: int, deadline: float | None,
             run_id: str, failed_dead: list[int]) -> OptimizeSummary:
    """What the call did; a study short of ``n_trials`` before its deadline is an error."""
    trials = study.get_trials(deepcopy=False)
    n_finished = sum(t.state in finished_states() for t in trials)
    if n_finished < n_trials and (deadline is None or time.time() < deadline):
        raise GanlabError(
            f"study {cfg.study.name!r} stopped with {n_finished} of {n_trials} finished trials; "
            "rerun to continue"
        )
    return OptimizeSummary(cfg.study.name, n_finished,
                           sum(t.user_attrs.get(RUN_ATTR) == run_id for t in trials),
                           failed_dead, best_trial_info(study), study)


def _trials_line(summary: OptimizeSummary, study: optuna.Study) -> str:
    """``6 finished (2 started now); best trial #3: val.roc_auc=0.906``."""
    line = f"{summary.n_finished} finished ({summary.n_started} started now)"
    if summary.best:
        names = study.metric_names or [f"objective {i}" for i in range(len(study.directions))]
        vals = " ".join(f"{n}={v:.4g}" for n, v in zip(names, summary.best["values"], strict=True))
        line += f"; best trial #{summary.best['number']}: {vals}"
    return line


def best_trial_info(study: optuna.Study) -> dict[str, Any] | None:
    """Number, values and parameters of the best trial (the first of the Pareto front)."""
    try:
        best = study.best_trials
    except ValueError:
        return None
    if not best:
        return None
    t = best[0]
    return {"number": t.number, "values": t.values, "params": t.params,
            "config_values": t.user_attrs.get("config_values", {})}


def _worker_loop(cfg: Config, trials: TrialsRun, ctx: RunContext, attrs: dict[str, Any]
                 ) -> None:
    """Run trials until the study has ``n_trials`` finished ones (or the deadline passes).

    When the remaining trials are all RUNNING in other workers, this worker waits for them
    instead of leaving: one that fails (or whose worker dies, detected after the heartbeat
    grace period) leaves room for another trial, so a study never ends short.
    """
    study, layout, n_trials, deadline = (trials.study, trials.layout, trials.n_trials,
                                         trials.deadline)
    worker = TrialWorker(cfg, study, layout, trials.params, ctx, attrs=attrs)
    failures: list[str] = []
    try:
        while deadline is None or time.time() < deadline:
            finished, running = _count(study)
            if finished >= n_trials:
                break
            if finished + running >= n_trials:  # the rest run elsewhere: wait for them
                time.sleep(WAIT_POLL_S)
                poll_dead_trials(study, layout, cfg)
                continue
            number, reason = worker.run_one()
            count_failure(failures, number, reason, layout)
    finally:
        worker.close()


class TrialWorker:
    """One worker's way of running trials: its token (proof of life), objective and callbacks.

    Args:
        cfg, study, layout, params: The study file, the opened study, its folders and space.
        ctx: The worker's context: its device, progress sink, trackers and pipeline.
        attrs: Extra user attributes of every trial (``None`` values are left out).
    """

    def __init__(self, cfg: Config, study: optuna.Study, layout: StudyLayout, params: list,
                 ctx: RunContext, *, attrs: dict[str, Any] | None = None) -> None:
        from optuna.artifacts import FileSystemArtifactStore

        layout.artifacts.mkdir(parents=True, exist_ok=True)
        self.study = study
        self.token = WorkerToken(layout)
        extra = {k: v for k, v in (attrs or {}).items() if v is not None}
        self.objective = TrialObjective(
            cfg, layout, params, device=ctx.device,
            worker_attrs={**self.token.attrs(), **extra},
            artifact_store=FileSystemArtifactStore(str(layout.artifacts)),
            on_event=ctx.on_event, pipeline=ctx.pipeline,
        )
        self.callbacks = ctx.trackers.optuna_callbacks([o.metric for o in cfg.study.objectives])
        self.on_event = ctx.on_event

    def run_one(self) -> tuple[int | None, str | None]:
        """Run one trial: its number and, if it failed, its fail reason (else ``None``).

        A trial that another worker declared dead while this one ran (a suspended machine
        that came back) is ``(None, None)``: its retry runs elsewhere and this worker goes on.
        """
        from optuna.exceptions import UpdateFinishedTrialError

        try:
            self.study.optimize(self.objective, n_trials=1, gc_after_trial=True,
                                callbacks=self.callbacks)
        except (ValueError, UpdateFinishedTrialError):
            if not _declared_dead(self.study, self.objective, self.on_event):
                raise
            return None, None
        number = self.objective.last_trial
        if not self.objective.last_failed or number is None:
            return number, None
        trial = self.study.get_trials(deepcopy=False)[number]
        return number, str(trial.user_attrs.get("fail_reason", ""))

    def close(self) -> None:
        self.token.close()


def poll_dead_trials(study: optuna.Study, layout: StudyLayout, cfg: Config) -> None:
    """Fail (and re-queue) the trials of dead local workers and of stale heartbeats."""
    fail_dead_trials(study, layout, objectives=[o.metric for o in cfg.study.objectives])
    _fail_stale(study)


def _declared_dead(study: optuna.Study, objective: TrialObjective,
                   on_event: EventFn | None) -> bool:
    """Whether this worker's last trial was failed by another worker while it ran (its
    heartbeat stopped longer than the grace period, e.g. a suspended machine that came back):
    Optuna then refuses its writes. Its retry runs elsewhere; this worker goes on."""
    from optuna.trial import TrialState

    if objective.last_trial is None:
        return False
    storage = study._storage
    trial_id = storage.get_trial_id_from_study_id_trial_number(study._study_id,
                                                               objective.last_trial)
    if storage.get_trial(trial_id).state != TrialState.FAIL:
        return False
    if on_event is not None:
        on_event(TrialFinished(objective.last_trial, "FAIL", reason=LATE_REASON))
    return True


def count_failure(failures: list[str], number: int | None, reason: str | None,
                  layout: StudyLayout) -> None:
    """Append a failed trial's ``reason`` to ``failures`` (a success clears it); stop the
    study after ``MAX_CONSECUTIVE_FAILURES`` failures in a row. ``number`` None (no trial of
    this worker ended, e.g. one another worker declared dead) changes nothing."""
    if number is None:
        return
    if reason is None:
        failures.clear()
        return
    failures.append(reason)
    if len(failures) >= MAX_CONSECUTIVE_FAILURES:
        raise GanlabError(
            f"{len(failures)} trials in a row failed; the last: {failures[-1]}. "
            f"See {layout.trial_dir(number or 0)}/error.log"
        )


def _count(study: optuna.Study) -> tuple[int, int]:
    """(finished, running) trials of the whole study."""
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    finished = sum(t.state in finished_states() for t in trials)
    return finished, sum(t.state == TrialState.RUNNING for t in trials)


def _fail_stale(study: optuna.Study) -> None:
    """Fail trials whose heartbeat stopped (RDB storages; a no-op elsewhere)."""
    from optuna.storages import fail_stale_trials
    from optuna.storages._heartbeat import is_heartbeat_enabled

    if is_heartbeat_enabled(study._storage):
        fail_stale_trials(study)
