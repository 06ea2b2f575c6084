"""``ganlab study run``: the optimisation, then baselines, the ablation and the ensembles.

Each stage runs only when its section is in the study file, and each one resumes: finished
trials and runs are never repeated. Baselines run before the ablation so the GANs they train
(shared through the GAN cache) are reused by the ablation's base cell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ganlab.study._objective import EventFn
from ganlab.study._optimize import OptimizeSummary, optimize_study
from ganlab.study._pipeline import RunResult, run_pipeline

if TYPE_CHECKING:
    from ganlab.config import Config


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
    from ganlab.study._ablation import run_ablation
    from ganlab.study._baselines import run_baselines
    from ganlab.study._ensemble import build_ensembles

    summary = StudyRunSummary(optimize_study(
        cfg, n_trials=n_trials, timeout=timeout, jobs=jobs, storage=storage, device=device,
        on_event=on_event, pipeline=pipeline, gpus=gpus,
    ), stages=["optimize"])
    if trials_only:
        return summary
    dev = resolve_device(device or cfg.study.device)
    if cfg.baselines is not None and cfg.baselines.models:
        summary.baselines = run_baselines(cfg, device=dev, on_event=on_event)
        summary.stages.append("baselines")
    if cfg.ablation is not None and cfg.ablation.factors:
        summary.ablation = run_ablation(cfg, device=dev, on_event=on_event)
        summary.stages.append("ablation")
    if cfg.ensemble is not None:
        summary.ensemble = build_ensembles(cfg, summary.optimize.study)
        summary.stages.append("ensemble")
    return summary
