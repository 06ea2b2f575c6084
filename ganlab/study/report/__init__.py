"""Reading stored studies: ``study list`` / ``show`` / ``repair``, the HTML and Markdown report,
and the optuna-dashboard. Nothing here trains."""

from __future__ import annotations

from ganlab.study.report._dashboard import exposure_warning, serve_dashboard
from ganlab.study.report._inspect import (
    StudyInfo,
    fmt_value,
    list_studies,
    open_study,
    repair_study,
    study_config,
    trial_rows,
)
from ganlab.study.report._report import SECTIONS, write_report

__all__ = [
    "SECTIONS",
    "StudyInfo",
    "fmt_value",
    "list_studies",
    "open_study",
    "repair_study",
    "serve_dashboard",
    "exposure_warning",
    "study_config",
    "trial_rows",
    "write_report",
]
