"""ganlab's jobs as library functions: what each ``ganlab`` command runs, callable from Python.

Each job takes a validated :class:`~ganlab.config.Config` and a :class:`RunContext` (built once,
at the edge, with :meth:`RunContext.from_config`) and returns a typed result::

    import ganlab.jobs
    from ganlab.config import load_config

    cfg = load_config("studies/quickstart.toml")
    ctx = ganlab.jobs.RunContext.from_config(cfg, device="cpu")
    summary = ganlab.jobs.run_study(cfg, ctx)

The command line is a thin layer over these functions: parse, load, build the context, call
one job, print.
"""

from __future__ import annotations

from ganlab.jobs._classify import (
    EvalResult,
    evaluate_classifier,
    predict_images,
    score_floors,
    train_classifier,
)
from ganlab.jobs._data import prepare_data
from ganlab.jobs._gan import GanJobResult, GanScore, score_gan, train_gan
from ganlab.jobs._study import (
    AblationResult,
    ablation_tables,
    export_results,
    import_results,
    report_study,
    run_ablation,
    run_study,
    write_report,
)
from ganlab.study import ExportSummary, ImportSummary, PipelineFn, RunContext, StudyRunSummary

__all__ = [
    "AblationResult",
    "EvalResult",
    "ExportSummary",
    "GanJobResult",
    "GanScore",
    "ImportSummary",
    "PipelineFn",
    "RunContext",
    "StudyRunSummary",
    "ablation_tables",
    "evaluate_classifier",
    "export_results",
    "import_results",
    "predict_images",
    "prepare_data",
    "report_study",
    "run_ablation",
    "run_study",
    "score_floors",
    "score_gan",
    "train_classifier",
    "train_gan",
    "write_report",
]
