"""Optuna's MLflow callback for ``[study] mlflow = "URI"``: one MLflow run per finished trial."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ganlab.errors import ConfigError


def mlflow_callback(tracking_uri: str, metric_names: Sequence[str]) -> Any:
    """``optuna_integration.MLflowCallback``: each finished trial's objectives and parameters
    become an MLflow run in the experiment named after the study.

    Args:
        tracking_uri: MLflow tracking URI (``file:///path/mlruns``, ``http://host:5000``).
        metric_names: The study's objective names (``val.roc_auc``).
    """
    try:
        from optuna_integration import MLflowCallback
    except ImportError as exc:  # mlflow and optuna-integration are an optional extra
        raise ConfigError(
            "study.mlflow needs the mlflow and optuna-integration packages: "
            "pip install 'ganlab[trackers]' (or remove study.mlflow)"
        ) from exc
    import warnings

    import mlflow

    try:  # fail before the first trial, not after it
        mlflow.tracking.MlflowClient(tracking_uri).search_experiments(max_results=1)
    except Exception as exc:  # noqa: BLE001 - any backend error is the URI's problem
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"study.mlflow = {tracking_uri!r}: MLflow cannot use it: {first}. "
                          "Use e.g. sqlite:///runs/mlflow.db or an http:// server") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MLflowCallback is marked experimental
        return MLflowCallback(tracking_uri=tracking_uri, metric_name=list(metric_names),
                              create_experiment=True, tag_trial_user_attrs=False)
