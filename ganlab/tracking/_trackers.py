"""Which experiment trackers a run feeds, and the one place they are wired to a run.

Every job and every pipeline run asks :class:`Trackers` for its TensorBoard log and its
per-epoch ``report``, and the Optuna trials ask it for their callbacks (MLflow), so the
``study.tensorboard`` / ``study.mlflow`` settings are read here and nowhere else.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganlab.tracking._mlflow import mlflow_callback
from ganlab.tracking._tensorboard import ReportFn, TensorBoardLog, tee_report

if TYPE_CHECKING:
    from ganlab.config import StudySection


@dataclass(frozen=True)
class Trackers:
    """The trackers of a study: a TensorBoard log per run, an MLflow run per trial.

    Args:
        tensorboard: Write ``<run>/tensorboard`` (``study.tensorboard``).
        mlflow: MLflow tracking URI of the trials (``study.mlflow``), or ``None``.
    """

    tensorboard: bool = False
    mlflow: str | None = None

    @classmethod
    def of(cls, study: StudySection) -> Trackers:
        """The trackers a study file's ``[study]`` table asks for."""
        return cls(tensorboard=study.tensorboard, mlflow=study.mlflow)

    def run_log(self, out_dir: Path) -> TensorBoardLog | None:
        """The TensorBoard log of the run in ``out_dir`` (``None`` when off); close it."""
        return TensorBoardLog(out_dir / "tensorboard") if self.tensorboard else None

    def opened(self, out_dir: Path) -> contextlib.AbstractContextManager[TensorBoardLog | None]:
        """:meth:`run_log` as a context manager that closes it (the log's own)."""
        return self.run_log(out_dir) or contextlib.nullcontext(None)

    @staticmethod
    def report(report: ReportFn | None, log: TensorBoardLog | None,
               grids: Callable[[], list[Path]] | None = None) -> ReportFn | None:
        """``report(phase, epoch, metrics)`` that also feeds ``log`` (and new sample grids)."""
        return tee_report(report, log, grids)

    def optuna_callbacks(self, metric_names: Sequence[str]) -> list[Any]:
        """The Optuna callbacks of the trials (MLflow when ``mlflow`` is set)."""
        return [mlflow_callback(self.mlflow, metric_names)] if self.mlflow else []
