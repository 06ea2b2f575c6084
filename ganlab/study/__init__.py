"""Optuna studies over the ganlab pipeline, one subpackage per job.

* :mod:`~ganlab.study.pipeline`: one run (data -> GAN -> classifier) and its GAN metrics;
* :mod:`~ganlab.study.storage`: the Optuna storage, the journal file, dead workers' trials;
* :mod:`~ganlab.study.optimize`: the Optuna study (space, samplers, objective, workers);
* :mod:`~ganlab.study.experiments`: ablation, baselines, ensembles, summaries over seeds;
* :mod:`~ganlab.study.report`: listing, showing and reporting stored studies, the dashboard;
* ``_run_study``: ``study run``, the stages in order; ``_context``: :class:`RunContext`, what a
  job takes from its environment (device, workers, storage, trackers, progress, pipeline);
  ``_layout``: where a study keeps its files; ``_gpus``: one GPU per worker process;
  :mod:`~ganlab.study.events`: typed progress events for front ends.
"""

from __future__ import annotations

from ganlab.study._context import PipelineFn, RunContext
from ganlab.study._gpus import parse_gpus
from ganlab.study._layout import StudyLayout
from ganlab.study._run_study import StudyRunSummary, optimize_study, run_study, study_lock
from ganlab.study.experiments import (
    Cell,
    ExportSummary,
    ImportSummary,
    ablation_cells,
    ablation_tables,
    baseline_config,
    baseline_name,
    build_ensembles,
    combine,
    export_results,
    format_mean_ci,
    holm,
    import_results,
    mean_ci,
    run_ablation,
    run_baselines,
    vote_weights,
    write_ablation_tables,
)
from ganlab.study.optimize import (
    OptimizeSummary,
    SearchParam,
    TrialObjective,
    apply_values,
    check_finite,
    check_study,
    create_pruner,
    create_sampler,
    expand_search_space,
    load_or_create_study,
    metric_from_epoch,
    sample_config,
)
from ganlab.study.pipeline import (
    RunResult,
    evaluate_gan,
    flat_gan_metrics,
    flat_metrics,
    load_run,
    needs_gan,
    run_pipeline,
    wants_gan_metrics,
)
from ganlab.study.report import (
    SECTIONS,
    StudyInfo,
    exposure_warning,
    fmt_value,
    list_studies,
    open_study,
    repair_study,
    serve_dashboard,
    study_config,
    trial_rows,
    write_report,
)
from ganlab.study.storage import DIED_REASON, fail_dead_trials, open_storage, repair_journal

__all__ = [
    "DIED_REASON",
    "SECTIONS",
    "Cell",
    "OptimizeSummary",
    "PipelineFn",
    "ExportSummary",
    "ImportSummary",
    "RunContext",
    "RunResult",
    "SearchParam",
    "StudyInfo",
    "StudyLayout",
    "StudyRunSummary",
    "TrialObjective",
    "ablation_cells",
    "ablation_tables",
    "check_finite",
    "check_study",
    "apply_values",
    "baseline_config",
    "baseline_name",
    "build_ensembles",
    "combine",
    "create_pruner",
    "create_sampler",
    "evaluate_gan",
    "expand_search_space",
    "export_results",
    "fmt_value",
    "format_mean_ci",
    "holm",
    "import_results",
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
    "study_lock",
    "sample_config",
    "serve_dashboard",
    "exposure_warning",
    "study_config",
    "trial_rows",
    "vote_weights",
    "wants_gan_metrics",
    "write_ablation_tables",
    "write_report",
]
