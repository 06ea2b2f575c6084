"""``ganlab study run``: the optimisation, then baselines, the ablation and the ensembles.

Each stage runs only when its section is in the study file, and each one resumes: finished
trials and runs are never repeated. With one worker the stages run in this process, one after
another; baselines run before the ablation so the GANs they train (shared through the GAN
cache) are reused by the ablation's base cell. With ``jobs > 1`` the trials, the shared GANs
and the baseline and ablation runs are units of one worker pool (:mod:`ganlab.study.pool`),
and the ensembles follow in this process. The stages after the trials hold the study lock.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ganlab.lazy import lazy_namespace
from ganlab.study._context import RunContext
from ganlab.study._layout import StudyLayout
from ganlab.study.events import (
    DataReady,
    EventFn,
    StageFinished,
    StageProgress,
    StageStarted,
    StageWaiting,
)
from ganlab.study.experiments._ablation import ablation_cells, run_ablation, write_ablation_tables
from ganlab.study.experiments._baselines import run_baselines, write_baseline_table
from ganlab.study.experiments._ensemble import build_ensembles
from ganlab.study.optimize._optimize import (
    OptimizeSummary,
    close_trials,
    open_trials,
    run_trials,
)
from ganlab.study.pool import StudyLock, run_pool

if TYPE_CHECKING:
    from ganlab.config import Config

lazy = lazy_namespace("ganlab.data")

LOCK_POLL_S = 2.0  # how often a run waiting for the study lock tries again


@dataclass
class StudyRunSummary:
    """What ``run_study`` did, stage by stage."""

    optimize: OptimizeSummary
    baselines: dict[str, Any] | None = None
    ablation: dict[str, Any] | None = None
    ensemble: dict[str, Any] | None = None
    stages: list[str] = field(default_factory=list)


def run_study(
    cfg: Config,
    ctx: RunContext,
    *,
    n_trials: int | None = None,
    timeout: float | None = None,
    trials_only: bool = False,
) -> StudyRunSummary:
    """Run or resume every stage of a study file: preprocessing, the trials, then the
    baselines, the ablation and the ensembles (arguments as :func:`optimize_study`).

    ``trials_only`` stops after the Optuna trials: extra workers that join a shared study
    (``--storage postgresql://...``) leave the baselines, ablation and ensemble to one machine.
    """
    _preprocess(cfg, ctx.on_event)
    if ctx.jobs > 1:
        return _run_pooled(cfg, ctx, n_trials=n_trials, timeout=timeout,
                           trials_only=trials_only)
    summary = StudyRunSummary(optimize_study(cfg, ctx, n_trials=n_trials, timeout=timeout),
                              stages=["optimize"])
    if trials_only:
        return summary
    with study_lock(cfg, ctx.on_event):
        _later_stages(cfg, summary, ctx)
    return summary


def optimize_study(
    cfg: Config,
    ctx: RunContext | None = None,
    *,
    n_trials: int | None = None,
    timeout: float | None = None,
) -> OptimizeSummary:
    """Run (or continue) the Optuna trials of ``cfg`` until the study has ``n_trials``
    finished ones: in this process with one worker, on the pool with ``ctx.jobs > 1``.

    Args:
        cfg: The loaded study file.
        ctx: Device, workers, storage, trackers, progress sink and pipeline (default
            ``RunContext.from_config(cfg)``). The sink gets the ``trials`` stage's events.
        n_trials: Finished trials wanted (default ``study.n_trials``).
        timeout: Stop starting trials after this many seconds (default ``study.timeout``).
    """
    ctx = ctx or RunContext.from_config(cfg)
    trials = open_trials(cfg, ctx, n_trials=n_trials, timeout=timeout)
    if ctx.jobs == 1:
        run_trials(cfg, trials, ctx)
        return close_trials(cfg, trials, ctx.on_event)

    return run_pool(cfg, trials, ctx, lock=None)


def _run_pooled(cfg: Config, ctx: RunContext, *, n_trials: int | None, timeout: float | None,
                trials_only: bool) -> StudyRunSummary:
    """Every stage's units on one pool of ``ctx.jobs`` workers, then the ensembles."""

    emit = ctx.on_event
    trials = open_trials(cfg, ctx, n_trials=n_trials, timeout=timeout)
    lock = None if trials_only else StudyLock(trials.layout)
    summary = StudyRunSummary(None, stages=["optimize"])  # type: ignore[arg-type]
    try:
        if lock is not None:
            _announce_runs(cfg, emit)
        summary.optimize = run_pool(cfg, trials, ctx, lock=lock,
                                    stage_done=lambda stage: _stage_done(cfg, summary, stage,
                                                                         emit))
        if lock is not None and cfg.ensemble is not None:
            _wait_for(lock, emit)
            _ensembles(cfg, summary, emit)
    finally:
        if lock is not None:
            lock.release()
    return summary


def _announce_runs(cfg: Config, emit: EventFn) -> None:
    if cfg.baselines is not None and cfg.baselines.models:
        emit(StageStarted("baselines",
                          total=len(cfg.baselines.models) * len(cfg.baselines.seeds)))
    if cfg.ablation is not None and cfg.ablation.factors:
        emit(StageStarted("ablation", total=len(ablation_cells(cfg)) * len(cfg.ablation.seeds)))


def _stage_done(cfg: Config, summary: StudyRunSummary, stage: str, emit: EventFn) -> None:
    """Write the table of a stage whose runs all ended (on the pool) and announce its end."""

    if stage == "baselines":
        summary.baselines = write_baseline_table(cfg)
        emit(StageFinished("baselines", _rows_line(summary.baselines, "name")))
    else:
        summary.ablation = write_ablation_tables(cfg)
        emit(StageFinished("ablation", _rows_line(summary.ablation, "label")))
    summary.stages.append(stage)


@contextmanager
def study_lock(cfg: Config, emit: EventFn) -> Iterator[None]:
    """Hold the study lock (waiting, with one line, while another run holds it): the stages
    after the trials of ``study run`` and ``study ablate`` write the same folders."""

    lock = StudyLock(StudyLayout.of_config(cfg))
    _wait_for(lock, emit)
    try:
        yield
    finally:
        lock.release()


def _wait_for(lock: Any, emit: EventFn) -> None:
    if lock.try_acquire():
        return
    emit(StageWaiting("baselines, ablation, ensembles", lock.waiting_line))
    while not lock.try_acquire():
        time.sleep(LOCK_POLL_S)


def _preprocess(cfg: Config, emit: EventFn) -> None:
    """Prepare the base config's data once (cached) with a progress bar, before any trial."""
    from pathlib import Path


    layout = StudyLayout.of_config(cfg)
    layout.root.mkdir(parents=True, exist_ok=True)
    emit(StageStarted("preprocessing"))
    data = lazy.data.prepare_data(
        cfg.data, base_dir=Path(cfg.base_dir), work_dir=layout.root,
        progress=lambda done, total: emit(StageProgress("preprocessing", done, total)))
    p = data.protocol
    emit(DataReady(p["files"], p["usable"], dict(p["skipped"]), p.get("skipped_list"),
                   bool(p["cache_hit"])))
    sizes = ", ".join(f"{side} {sum(c.values())}" for side, c in p["sizes"].items())
    emit(StageFinished("preprocessing", f"{p['usable']} of {p['files']} images usable "
                       f"({'cached' if p['cache_hit'] else 'processed'}); split: {sizes}"))


def _later_stages(cfg: Config, summary: StudyRunSummary, ctx: RunContext) -> None:
    """Baselines, ablation and ensembles, each announced as a stage."""

    emit = ctx.on_event
    if cfg.baselines is not None and cfg.baselines.models:
        emit(StageStarted("baselines",
                          total=len(cfg.baselines.models) * len(cfg.baselines.seeds)))
        summary.baselines = run_baselines(cfg, ctx)
        summary.stages.append("baselines")
        emit(StageFinished("baselines", _rows_line(summary.baselines, "name")))
    if cfg.ablation is not None and cfg.ablation.factors:
        emit(StageStarted("ablation", total=len(ablation_cells(cfg)) * len(cfg.ablation.seeds)))
        summary.ablation = run_ablation(cfg, ctx)
        summary.stages.append("ablation")
        emit(StageFinished("ablation", _rows_line(summary.ablation, "label")))
    if cfg.ensemble is not None:
        _ensembles(cfg, summary, emit)


def _ensembles(cfg: Config, summary: StudyRunSummary, emit: EventFn) -> None:
    emit(StageStarted("ensembles"))
    summary.ensemble = build_ensembles(cfg, summary.optimize.study)
    summary.stages.append("ensemble")
    emit(StageFinished("ensembles", _ensemble_line(summary.ensemble)))


def _rows_line(res: dict[str, Any], key: str) -> str:
    """``base: test roc_auc 0.81; synthetic_ratio=0.0: 0.78`` from a results table."""
    parts = []
    for row in res.get("rows", []):
        auc = row["metrics"].get("roc_auc", {}).get("mean")
        parts.append(f"{row[key]}: test roc_auc={auc:.3f}" if auc == auc and auc is not None
                     else f"{row[key]}: no finished run")
    return "; ".join(parts)


def _ensemble_line(res: dict[str, Any]) -> str:
    if res.get("note"):
        return res["note"]
    parts = [f"{m}: test roc_auc={r['test']['roc_auc']['value']:.3f}"
             for m, r in res.get("methods", {}).items()]
    return f"{len(res['members'])} members; " + "; ".join(parts)
