"""Optional experiment trackers fed by the trainers' per-epoch callbacks.

- :class:`TensorBoardLog`: a TensorBoard event file per GAN and classifier run
  (``[study] tensorboard = true``; needs the ``tensorboard`` package).
- :func:`mlflow_callback`: Optuna's ``MLflowCallback`` (optuna-integration) for
  ``[study] mlflow = "URI"``; each finished trial becomes an MLflow run.

Both are optional extras (``pip install ganlab[trackers]``); ganlab never needs them otherwise.
- :class:`Trackers`: which of them a study asks for, and the one place they are wired to a
  run (its TensorBoard log, its per-epoch report, the trials' Optuna callbacks).

Trainer code knows nothing of them: they wrap the ``report`` callbacks where those are passed in.
"""

from __future__ import annotations

from ganlab.tracking._mlflow import mlflow_callback
from ganlab.tracking._tensorboard import TensorBoardLog, tee_report
from ganlab.tracking._trackers import Trackers

__all__ = ["TensorBoardLog", "Trackers", "mlflow_callback", "tee_report"]
