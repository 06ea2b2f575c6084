"""The study jobs: run a study, run its ablation, write its report, carry its finished runs
between machines."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ganlab.study

if TYPE_CHECKING:
    from ganlab.config import Config
    from ganlab.study import ExportSummary, ImportSummary, RunContext, StudyRunSummary


@dataclass
class AblationResult:
    """The ablation's tables (``ablation/results.json``): ``metrics``, ``rows`` per cell."""

    tables: dict[str, Any]

    @property
    def rows(self) -> list[dict[str, Any]]:
        """One row per cell: label, seeds, metrics (mean and interval), Δ vs base."""
        return self.tables["rows"]


def run_study(cfg: Config, ctx: RunContext, *, n_trials: int | None = None,
              timeout: float | None = None, trials_only: bool = False) -> StudyRunSummary:
    """Run or resume every stage of ``cfg``: preprocessing, the Optuna trials, then the
    baselines, the ablation and the ensembles, on ``ctx.jobs`` workers.

    Args:
        cfg: The loaded study file.
        ctx: The job's context (device, workers, storage, trackers, progress, pipeline).
        n_trials: Finished trials wanted (default ``study.n_trials``).
        timeout: Stop starting trials after this many seconds (default ``study.timeout``).
        trials_only: Run only the trials (an extra worker of a shared study).
    """

    return ganlab.study.run_study(cfg, ctx, n_trials=n_trials, timeout=timeout,
                                  trials_only=trials_only)


def run_ablation(cfg: Config, ctx: RunContext) -> AblationResult:
    """Run (or resume) only the ablation of ``cfg`` (holding the study lock, as the stages
    after the trials of :func:`run_study` do) and return its tables."""

    with ganlab.study.study_lock(cfg, ctx.on_event):
        return AblationResult(ganlab.study.run_ablation(cfg, ctx))


def ablation_tables(cfg: Config) -> AblationResult:
    """The tables of ``cfg``'s finished ablation runs, made here or imported: nothing trains,
    nothing is written and no lock is taken (a running study may be adding runs)."""

    return AblationResult(ganlab.study.ablation_tables(cfg))


def write_report(cfg: Config, ctx: RunContext | None = None, *, out: Path | None = None
                 ) -> Path:
    """Write ``cfg``'s study report from its stored results; returns ``index.html``
    (``report.md`` is next to it). Nothing trains; ``ctx`` gives the storage URL."""

    storage = ctx.storage if ctx is not None else cfg.study.storage
    return ganlab.study.write_report(cfg.study.name, output=cfg.study.output, storage=storage,
                                     out=out)


def report_study(name: str, *, output: Path | str = "runs", storage: str | None = None,
                 out: Path | None = None) -> Path:
    """Write the report of the study folder ``output/name`` when its study file is not at hand
    (``ganlab study report NAME``); :func:`write_report` takes the study file's config."""

    return ganlab.study.write_report(name, output=output, storage=storage, out=out)


def export_results(cfg: Config, out: Path, *, seeds: list[int] | None = None,
                   figures: bool = True) -> ExportSummary:
    """Pack the finished ablation and baseline runs of ``cfg``'s study (only ``seeds`` if
    given) into the ``.tar.gz`` bundle ``out``: result files (PNG figures too if
    ``figures``) and a manifest, no checkpoints."""

    return ganlab.study.export_results(cfg, out, seeds=seeds, figures=figures)


def import_results(cfg: Config, bundles: list[Path], ctx: RunContext | None = None
                   ) -> ImportSummary:
    """Add the runs of ``bundles`` (from :func:`export_results` on other machines) that
    ``cfg``'s study lacks, after checking each against the study file; the next
    :func:`run_ablation` tables them with the local runs and trains nothing for them. Holds
    the study lock (waiting while a running stage holds it)."""

    emit = ctx.on_event if ctx is not None else (lambda _event: None)
    with ganlab.study.study_lock(cfg, emit):
        return ganlab.study.import_results(cfg, bundles)
