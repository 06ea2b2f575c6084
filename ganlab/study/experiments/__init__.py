"""Experiments around the study's configuration, each from cached pipeline runs: the ablation,
the baselines, the ensembles of stored predictions, the summaries over seeds, and the result
bundles that carry finished runs between machines."""

from __future__ import annotations

from ganlab.study.experiments._ablation import (
    Cell,
    ablation_cells,
    ablation_tables,
    run_ablation,
    write_ablation_tables,
)
from ganlab.study.experiments._baselines import baseline_config, baseline_name, run_baselines
from ganlab.study.experiments._bundle import (
    ExportSummary,
    ImportSummary,
    export_results,
    import_results,
)
from ganlab.study.experiments._ensemble import build_ensembles, combine, vote_weights
from ganlab.study.experiments._stats import format_mean_ci, holm, mean_ci

__all__ = [
    "Cell",
    "ExportSummary",
    "ImportSummary",
    "ablation_cells",
    "ablation_tables",
    "baseline_config",
    "baseline_name",
    "build_ensembles",
    "combine",
    "export_results",
    "format_mean_ci",
    "holm",
    "import_results",
    "mean_ci",
    "run_ablation",
    "run_baselines",
    "vote_weights",
    "write_ablation_tables",
]
