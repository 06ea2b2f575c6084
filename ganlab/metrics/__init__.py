"""Metrics: classification metrics with bootstrap CIs, plots, FID/KID, precision/recall/density/
coverage. No model code here: feature backbones are passed in as callables.
"""

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
    Backbone,
    build_backbone,
    compute_fid,
    feature_backbone,
    fid_from_features,
    frechet_distance,
    image_features,
    inception_backbone,
    inception_notice,
    plan_training_fid,
    resolve_inception_weights,
    sha256_file,
)
from ganlab.metrics._plots import plot_confusion, plot_roc, plot_training_curves
from ganlab.metrics._prdc import PRDC_NAMES, knn_radii, per_class_prdc, prdc

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
    "Backbone",
    "build_backbone",
    "compute_fid",
    "feature_backbone",
    "fid_from_features",
    "frechet_distance",
    "image_features",
    "inception_backbone",
    "inception_notice",
    "plan_training_fid",
    "resolve_inception_weights",
    "sha256_file",
]
__all__ += ["PRDC_NAMES", "knn_radii", "per_class_prdc", "prdc"]  # precision, recall, ...
