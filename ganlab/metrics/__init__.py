"""Metrics: classification metrics with bootstrap confidence intervals, plots, and FID/KID."""

from __future__ import annotations

from ganlab.metrics._classification import (
    METRICS,
    batch_metrics,
    bootstrap_distribution,
    classification_metrics,
    confusion_matrix,
    delong_test,
    format_ci,
    metrics_with_ci,
    paired_bootstrap,
    pr_points,
    roc_auc,
    roc_points,
    seed_paired_bootstrap,
    youden_threshold,
)
from ganlab.metrics._fid import (
    build_backbone,
    classifier_backbone,
    compute_fid,
    fid_from_features,
    frechet_distance,
    inception_backbone,
    plan_training_fid,
    resolve_inception_weights,
)
from ganlab.metrics._plots import plot_confusion, plot_roc, plot_training_curves

__all__ = [
    "METRICS",
    "batch_metrics",
    "bootstrap_distribution",
    "classification_metrics",
    "confusion_matrix",
    "delong_test",
    "format_ci",
    "metrics_with_ci",
    "paired_bootstrap",
    "plot_confusion",
    "plot_roc",
    "plot_training_curves",
    "pr_points",
    "roc_auc",
    "roc_points",
    "seed_paired_bootstrap",
    "youden_threshold",
]
__all__ += [  # FID / KID
    "build_backbone",
    "classifier_backbone",
    "compute_fid",
    "fid_from_features",
    "frechet_distance",
    "inception_backbone",
    "plan_training_fid",
    "resolve_inception_weights",
]
