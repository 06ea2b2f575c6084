"""Running the Optuna study: one or several worker processes over one shared storage.

``n_trials`` counts finished trials (COMPLETE or PRUNED) of the whole study: running the same
command again starts only the missing ones, and workers on other machines that join the same
storage stop when the study has enough. Before each trial a worker checks ``finished + running
< n_trials``, so concurrent workers overshoot by at most the trials started in the same instant.

``--jobs J`` starts J processes (``multiprocessing`` spawn): each one opens the storage itself
and runs trials until the study is full. Processes, not threads: the GIL and torch's own
thread pool make threads useless for training; each process gets ``cores / J`` torch threads
and one GPU (round-robin, see :mod:`ganlab.study.optimize._gpus`).
"""

from __future__ import annotations

import multiprocessing
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ganlab.errors import ConfigError, GanlabError
from ganlab.study._layout import StudyLayout
from ganlab.study.events import (
    EventFn,
    StageFinished,
    StageStarted,
    TrialFinished,
    WorkersPolled,
)
from ganlab.study.optimize._gpus import GPU_ATTR, assign_gpus, device_in_process, only_gpu
from ganlab.study.optimize._objective import TrialObjective
from ganlab.study.pipeline._run_pipeline import RunResult, run_pipeline
from ganlab.study.storage._storage import open_storage, record_study
from ganlab.study.storage._workers import RUN_ATTR, WorkerToken, fail_dead_trials

if TYPE_CHECKING:
    import optuna

    from ganlab.config import Config

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

    from ganlab.study.optimize._samplers import create_pruner, create_sampler
    from ganlab.study.optimize._seeds import per_trial_sampler
    from ganlab.study.optimize._space import expand_search_space

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


def optimize_study(
    cfg: Config,
    *,
    n_trials: int | None = None,
    timeout: float | None = None,
    jobs: int = 1,
    storage: str | None = None,
    device: str | None = None,
    on_event: EventFn | None = None,
    pipeline: Callable[..., RunResult] = run_pipeline,
    gpus: list[str] | None = None,
) -> OptimizeSummary:
    """Run (or continue) the Optuna study of ``cfg`` until it has ``n_trials`` finished trials.

    Args:
        cfg: The loaded study file.
        n_trials: Finished trials wanted (default ``study.n_trials``).
        timeout: Stop starting trials after this many seconds (default ``study.timeout``).
        jobs: Worker processes on this machine.
        storage: Storage URL (default ``study.storage``, else the journal file).
        device: ``auto``, ``cpu`` or ``cuda`` (default ``study.device``).
        on_event: Progress callback: the ``trials`` stage's events; with ``jobs > 1`` only
            :class:`~ganlab.study.events.WorkersPolled` between its start and end.
        pipeline: The per-run function (``run_pipeline``; swappable for library users).
        gpus: GPU ids the workers are pinned to, round-robin (default: every visible GPU);
            see :mod:`ganlab.study.optimize._gpus`.
    """
    trials = open_trials(cfg, n_trials=n_trials, timeout=timeout, jobs=jobs, storage=storage,
                         device=device, gpus=gpus, on_event=on_event)
    study, layout, pinned, device_name = (trials.study, trials.layout, trials.pinned,
                                          trials.device_name)
    if jobs == 1:
        if pinned[0] is not None:
            device_name = device_in_process(pinned[0])
        _worker_loop(cfg, study, layout, trials.params, device_name, trials.n_trials,
                     trials.deadline, on_event, pipeline,
                     {RUN_ATTR: trials.run_id, GPU_ATTR: pinned[0]})
    else:
        _run_processes(cfg, trials.url, layout, device_name, trials.n_trials, trials.deadline,
                       pinned, study, on_event, trials.run_id)
    return close_trials(cfg, trials, on_event)


@dataclass
class TrialsRun:
    """The trials stage of one ``study run`` call, opened by :func:`open_trials`."""

    study: Any  # the optuna.Study
    layout: StudyLayout
    params: list
    url: str | None
    device_name: str
    pinned: list[str | None]  # the GPU of each worker (see ``assign_gpus``)
    n_trials: int
    deadline: float | None
    run_id: str  # marks the trials this call starts (its "started now")
    failed_dead: list[int]


def open_trials(
    cfg: Config,
    *,
    n_trials: int | None = None,
    timeout: float | None = None,
    jobs: int = 1,
    storage: str | None = None,
    device: str | None = None,
    gpus: list[str] | None = None,
    on_event: EventFn | None = None,
) -> TrialsRun:
    """Check the options, open (or create) the study, fail dead workers' trials, announce the
    ``trials`` stage; what every way of running the trials starts from."""
    from ganlab.study.optimize._space import expand_search_space

    check_run_options(cfg, jobs=jobs, storage=storage, device=device, gpus=gpus)
    n_trials = cfg.study.n_trials if n_trials is None else n_trials
    timeout = cfg.study.timeout if timeout is None else timeout
    url = storage if storage is not None else cfg.study.storage
    device_name = device or cfg.study.device
    pinned = assign_gpus(jobs, gpus, device_name)
    layout = StudyLayout.of_config(cfg)
    layout.root.mkdir(parents=True, exist_ok=True)
    params = expand_search_space(cfg)
    store = open_storage(url, layout, heartbeat_seconds=cfg.study.heartbeat_seconds)
    study = load_or_create_study(cfg, store, params=params)
    record_study(cfg, layout, url)
    objectives = [o.metric for o in cfg.study.objectives]
    failed_dead = fail_dead_trials(study, layout, objectives=objectives)
    deadline = time.time() + timeout if timeout else None
    (on_event or (lambda _e: None))(StageStarted("trials", total=n_trials, done=sum(
        t.state in finished_states() for t in study.get_trials(deepcopy=False))))
    return TrialsRun(study, layout, params, url, device_name, pinned, n_trials, deadline,
                     uuid.uuid4().hex, failed_dead)


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


def check_run_options(
    cfg: Config, *, jobs: int = 1, storage: str | None = None, device: str | None = None,
    gpus: list[str] | None = None,
) -> None:
    """Fail fast on options and study files that cannot work (before any trial starts); the
    study-file part is :func:`~ganlab.study.check_study`, which ``config check`` runs too."""
    from ganlab.device import resolve_device
    from ganlab.study.optimize._preflight import check_study

    if jobs < 1:
        raise ConfigError(f"expected at least 1 worker, got {jobs}", path="jobs")
    resolve_device(device or cfg.study.device)  # "cuda" without a GPU
    if gpus is not None:
        assign_gpus(jobs, gpus, device or cfg.study.device)  # GPUs this machine lacks
    url = storage if storage is not None else cfg.study.storage
    if jobs > 1 and url == ":memory:":
        raise ConfigError("more than one worker needs a shared storage, not ':memory:'",
                          path=("jobs", "study.storage"),
                          hint="use the default journal or a database URL, or one worker")
    check_study(cfg)


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


def _worker_loop(
    cfg: Config,
    study: optuna.Study,
    layout: StudyLayout,
    params: list,
    device_name: str,
    n_trials: int,
    deadline: float | None,
    on_event: EventFn | None,
    pipeline: Callable[..., RunResult],
    attrs: dict[str, Any],
) -> None:
    """Run trials until the study has ``n_trials`` finished ones (or the deadline passes).

    When the remaining trials are all RUNNING in other workers, this worker waits for them
    instead of leaving: one that fails (or whose worker dies, detected after the heartbeat
    grace period) leaves room for another trial, so a study never ends short.
    """
    worker = TrialWorker(cfg, study, layout, params, device_name, on_event=on_event,
                         pipeline=pipeline, attrs=attrs)
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
        device_name: ``auto``, ``cpu``, ``cuda`` or ``cuda:N``.
        on_event: Progress callback of the trials' events.
        pipeline: The per-run function.
        attrs: Extra user attributes of every trial (``None`` values are left out).
    """

    def __init__(self, cfg: Config, study: optuna.Study, layout: StudyLayout, params: list,
                 device_name: str, *, on_event: EventFn | None = None,
                 pipeline: Callable[..., RunResult] = run_pipeline,
                 attrs: dict[str, Any] | None = None) -> None:
        from optuna.artifacts import FileSystemArtifactStore

        from ganlab.device import resolve_device

        layout.artifacts.mkdir(parents=True, exist_ok=True)
        self.study = study
        self.token = WorkerToken(layout)
        extra = {k: v for k, v in (attrs or {}).items() if v is not None}
        self.objective = TrialObjective(
            cfg, layout, params, device=resolve_device(device_name),
            worker_attrs={**self.token.attrs(), **extra},
            artifact_store=FileSystemArtifactStore(str(layout.artifacts)), on_event=on_event,
            pipeline=pipeline,
        )
        self.callbacks = _tracking_callbacks(cfg, [o.metric for o in cfg.study.objectives])
        self.on_event = on_event

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


def _tracking_callbacks(cfg: Config, objectives: list[str]) -> list[Any]:
    """Optuna callbacks of the study's trackers (MLflow when ``study.mlflow`` is set)."""
    if not cfg.study.mlflow:
        return []
    from ganlab.tracking import mlflow_callback

    return [mlflow_callback(cfg.study.mlflow, objectives)]


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


def _process_main(
    cfg: Config,
    url: str | None,
    device_name: str,
    n_trials: int,
    deadline: float | None,
    threads: int,
    run_id: str,
    gpu: str | None,
) -> None:
    """Entry point of a spawned worker process (started with ``gpu`` as its only GPU)."""
    import optuna
    import torch

    from ganlab.study.optimize._space import expand_search_space

    torch.set_num_threads(threads)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    layout = StudyLayout.of_config(cfg)
    params = expand_search_space(cfg)
    store = open_storage(url, layout, heartbeat_seconds=cfg.study.heartbeat_seconds)
    study = load_or_create_study(cfg, store, params=params)
    if gpu is not None:
        device_name = "cuda"  # CUDA_VISIBLE_DEVICES holds just this GPU: it is cuda:0
    _worker_loop(cfg, study, layout, params, device_name, n_trials, deadline, None, run_pipeline,
                 {RUN_ATTR: run_id, GPU_ATTR: gpu})


def _run_processes(
    cfg: Config,
    url: str | None,
    layout: StudyLayout,
    device_name: str,
    n_trials: int,
    deadline: float | None,
    gpus: list[str | None],
    study: optuna.Study,
    on_event: EventFn | None,
    run_id: str,
) -> None:
    jobs = len(gpus)
    ctx = multiprocessing.get_context("spawn")
    threads = max(1, (os.cpu_count() or 1) // jobs)
    procs = [
        ctx.Process(target=_process_main, name=f"ganlab-worker-{i}",
                    args=(cfg, url, device_name, n_trials, deadline, threads, run_id, gpus[i]))
        for i in range(jobs)
    ]
    for p, gpu in zip(procs, gpus, strict=True):
        with only_gpu(gpu):  # the child starts with this GPU as its only visible one
            p.start()
    try:
        while any(p.is_alive() for p in procs):
            if on_event is not None:
                from optuna.trial import TrialState

                trials = study.get_trials(deepcopy=False)
                on_event(WorkersPolled(sum(t.state in finished_states() for t in trials),
                                       sum(t.state == TrialState.RUNNING for t in trials)))
            time.sleep(1.0)
    except BaseException:
        for p in procs:
            if p.is_alive():
                p.terminate()
        raise
    finally:
        for p in procs:
            p.join()
    bad = [p for p in procs if p.exitcode]
    if bad:
        codes = ", ".join(f"{p.name}: exit {p.exitcode}" for p in bad)
        raise GanlabError(
            f"{len(bad)} of {jobs} worker processes stopped with an error ({codes}); completed "
            f"trials are saved. Their messages are above; rerun to continue"
        )
