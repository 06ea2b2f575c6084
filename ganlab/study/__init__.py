"""Optuna studies over the ganlab pipeline: storage, search spaces, ablations, baselines,
ensembles, reports and the dashboard."""

from __future__ import annotations

from ganlab.study._ablation import Cell, ablation_cells, run_ablation, write_ablation_tables
from ganlab.study._baselines import baseline_config, baseline_name, run_baselines
from ganlab.study._dashboard import serve_dashboard
from ganlab.study._ensemble import build_ensembles, combine, vote_weights
from ganlab.study._gan_metrics import evaluate_gan, flat_gan_metrics, wants_gan_metrics
from ganlab.study._gpus import parse_gpus
from ganlab.study._inspect import (
    StudyInfo,
    fmt_value,
    list_studies,
    open_study,
    repair_study,
    study_config,
    trial_rows,
)
from ganlab.study._journal import repair_journal
from ganlab.study._layout import StudyLayout
from ganlab.study._objective import TrialObjective, metric_from_epoch
from ganlab.study._optimize import (
    OptimizeSummary,
    check_run_options,
    load_or_create_study,
    optimize_study,
)
from ganlab.study._pipeline import RunResult, flat_metrics, load_run, needs_gan, run_pipeline
from ganlab.study._preflight import check_finite, check_study
from ganlab.study._report import SECTIONS, write_report
from ganlab.study._run import StudyRunSummary, run_study
from ganlab.study._samplers import create_pruner, create_sampler
from ganlab.study._space import SearchParam, apply_values, expand_search_space, sample_config
from ganlab.study._stats import format_mean_ci, mean_ci
from ganlab.study._storage import open_storage
from ganlab.study._workers import DIED_REASON, fail_dead_trials

__all__ = [
    "DIED_REASON",
    "SECTIONS",
    "Cell",
    "OptimizeSummary",
    "RunResult",
    "SearchParam",
    "StudyInfo",
    "StudyLayout",
    "StudyRunSummary",
    "TrialObjective",
    "ablation_cells",
    "check_finite",
    "check_study",
    "apply_values",
    "baseline_config",
    "baseline_name",
    "build_ensembles",
    "combine",
    "create_pruner",
    "create_sampler",
    "check_run_options",
    "evaluate_gan",
    "expand_search_space",
    "fmt_value",
    "format_mean_ci",
    "fail_dead_trials",
    "flat_gan_metrics",
    "flat_metrics",
    "list_studies",
    "load_or_create_study",
    "load_run",
    "mean_ci",
    "metric_from_epoch",
    "needs_gan",
    "open_storage",
    "parse_gpus",
    "repair_study",
    "open_study",
    "optimize_study",
    "repair_journal",
    "run_ablation",
    "run_baselines",
    "run_pipeline",
    "run_study",
    "sample_config",
    "serve_dashboard",
    "study_config",
    "trial_rows",
    "vote_weights",
    "wants_gan_metrics",
    "write_ablation_tables",
    "write_report",
]
