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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ganlab.study.events import (
    DataReady,
    EventFn,
    StageFinished,
    StageProgress,
    StageStarted,
    StageWaiting,
)
from ganlab.study.optimize._optimize import OptimizeSummary, optimize_study
from ganlab.study.pipeline._run_pipeline import RunResult, run_pipeline

if TYPE_CHECKING:
    from ganlab.config import Config

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
    *,
    n_trials: int | None = None,
    timeout: float | None = None,
    jobs: int = 1,
    storage: str | None = None,
    device: str | None = None,
    on_event: EventFn | None = None,
    pipeline: Callable[..., RunResult] = run_pipeline,
    trials_only: bool = False,
    gpus: list[str] | None = None,
) -> StudyRunSummary:
    """Run or resume every stage of a study file (arguments as :func:`optimize_study`).

    ``trials_only`` stops after the Optuna trials: extra workers that join a shared study
    (``--storage postgresql://...``) leave the baselines, ablation and ensemble to one machine.
    """
    from ganlab.device import resolve_device

    emit = on_event or (lambda _e: None)
    if pipeline is run_pipeline:  # a swapped pipeline may not read the [data] table
        _preprocess(cfg, emit)
    if jobs > 1:
        return _run_pooled(cfg, n_trials=n_trials, timeout=timeout, jobs=jobs, storage=storage,
                           device=device, emit=emit, trials_only=trials_only, gpus=gpus)
    summary = StudyRunSummary(optimize_study(
        cfg, n_trials=n_trials, timeout=timeout, jobs=jobs, storage=storage, device=device,
        on_event=on_event, pipeline=pipeline, gpus=gpus,
    ), stages=["optimize"])
    if trials_only:
        return summary
    dev = resolve_device(device or cfg.study.device)
    with study_lock(cfg, emit):
        _later_stages(cfg, summary, dev, emit)
    return summary


def _run_pooled(cfg: Config, *, emit: EventFn, trials_only: bool, **options: Any
                ) -> StudyRunSummary:
    """Every stage's units on one pool of ``jobs`` workers, then the ensembles."""
    from ganlab.study.optimize._optimize import open_trials
    from ganlab.study.pool import StudyLock, run_pool

    trials = open_trials(cfg, on_event=emit, **options)
    lock = None if trials_only else StudyLock(trials.layout)
    summary = StudyRunSummary(None, stages=["optimize"])  # type: ignore[arg-type]
    try:
        if lock is not None:
            _announce_runs(cfg, emit)
        summary.optimize = run_pool(cfg, trials, lock=lock, on_event=emit,
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
    from ganlab.study.experiments._ablation import ablation_cells

    if cfg.baselines is not None and cfg.baselines.models:
        emit(StageStarted("baselines",
                          total=len(cfg.baselines.models) * len(cfg.baselines.seeds)))
    if cfg.ablation is not None and cfg.ablation.factors:
        emit(StageStarted("ablation", total=len(ablation_cells(cfg)) * len(cfg.ablation.seeds)))


def _stage_done(cfg: Config, summary: StudyRunSummary, stage: str, emit: EventFn) -> None:
    """Write the table of a stage whose runs all ended (on the pool) and announce its end."""
    from ganlab.study.experiments._ablation import write_ablation_tables
    from ganlab.study.experiments._baselines import write_baseline_table

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
    from ganlab.study._layout import StudyLayout
    from ganlab.study.pool import StudyLock

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

    from ganlab.data import prepare_data
    from ganlab.study._layout import StudyLayout

    layout = StudyLayout.of_config(cfg)
    layout.root.mkdir(parents=True, exist_ok=True)
    emit(StageStarted("preprocessing"))
    data = prepare_data(cfg.data, base_dir=Path(cfg.base_dir), work_dir=layout.root,
                        progress=lambda done, total: emit(StageProgress("preprocessing", done,
                                                                        total)))
    p = data.protocol
    emit(DataReady(p["files"], p["usable"], dict(p["skipped"]), p.get("skipped_list"),
                   bool(p["cache_hit"])))
    sizes = ", ".join(f"{side} {sum(c.values())}" for side, c in p["sizes"].items())
    emit(StageFinished("preprocessing", f"{p['usable']} of {p['files']} images usable "
                       f"({'cached' if p['cache_hit'] else 'processed'}); split: {sizes}"))


def _later_stages(cfg: Config, summary: StudyRunSummary, dev: Any, emit: EventFn) -> None:
    """Baselines, ablation and ensembles, each announced as a stage."""
    from ganlab.study.experiments._ablation import ablation_cells, run_ablation
    from ganlab.study.experiments._baselines import run_baselines

    if cfg.baselines is not None and cfg.baselines.models:
        emit(StageStarted("baselines",
                          total=len(cfg.baselines.models) * len(cfg.baselines.seeds)))
        summary.baselines = run_baselines(cfg, device=dev, on_event=emit)
        summary.stages.append("baselines")
        emit(StageFinished("baselines", _rows_line(summary.baselines, "name")))
    if cfg.ablation is not None and cfg.ablation.factors:
        emit(StageStarted("ablation", total=len(ablation_cells(cfg)) * len(cfg.ablation.seeds)))
        summary.ablation = run_ablation(cfg, device=dev, on_event=emit)
        summary.stages.append("ablation")
        emit(StageFinished("ablation", _rows_line(summary.ablation, "label")))
    if cfg.ensemble is not None:
        _ensembles(cfg, summary, emit)


def _ensembles(cfg: Config, summary: StudyRunSummary, emit: EventFn) -> None:
    from ganlab.study.experiments._ensemble import build_ensembles

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
