"""The Optuna objective: one trial = sample a config, run the pipeline, record the results.

A fault inside a trial (a NaN loss or other ``TrainingError``, out of memory, a plugin that
raises) fails that trial only: the traceback goes to ``trials/<n>/error.log``, the reason to the
trial's ``fail_reason`` user attribute, and the objective returns NaN, which Optuna records as
FAIL. ``optuna.TrialPruned`` and ``KeyboardInterrupt`` pass through. A full disk or a missing
permission (:func:`ganlab.io.disk_fault`) stops the study at once with one line naming the
path: every next trial would fail the same way.
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganlab.errors import GanlabError, Terminated, TrainingError
from ganlab.io import atomic_write_json, atomic_write_text, disk_fault
from ganlab.study.events import (
    EpochEnd,
    EventFn,
    TrialFinished,
    TrialStarted,
    phase_epochs,
)
from ganlab.study.optimize._seeds import SEED_ATTR, trial_seed
from ganlab.study.optimize._space import sample_config
from ganlab.study.pipeline._run_pipeline import (
    RunResult,
    describe_fault,
    gan_cache_key,
    run_pipeline,
)
from ganlab.study.storage._workers import requeue_interrupted

METRIC_ATTR = "metric:"  # user attribute prefix of each recorded flat metric

if TYPE_CHECKING:
    import optuna
    import torch

    from ganlab.config import Config
    from ganlab.study._layout import StudyLayout
    from ganlab.study.optimize._space import SearchParam

def metric_from_epoch(metrics: dict[str, Any], name: str) -> float | None:
    """The value of flat metric ``name`` (``val.roc_auc``) in an epoch report, if present.

    Accepts the forms trainers use: ``"val.roc_auc"``, ``"val_roc_auc"``, a nested
    ``{"val": {"roc_auc": ...}}``, and ``"fid"`` for ``gan.fid``.
    """
    split, _, metric = name.partition(".")
    candidates = [metrics.get(name), metrics.get(f"{split}_{metric}")]
    nested = metrics.get(split)
    if isinstance(nested, dict):
        candidates.append(nested.get(metric))
    if split == "gan":
        candidates.append(metrics.get(metric))
    for value in candidates:
        if isinstance(value, dict):
            value = value.get("value")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return None


class TrialObjective:
    """Callable objective over the ganlab pipeline.

    Args:
        cfg: The study's config (the base every trial samples from).
        layout: The study's folders.
        params: The expanded search space.
        device: Torch device of every trial.
        worker_attrs: Host, pid and worker token recorded on each trial.
        artifact_store: Where sample grids and plots are uploaded for optuna-dashboard.
        on_event: Progress callback (typed events of :mod:`ganlab.study.events`).
        pipeline: The run function (the real pipeline unless a library user swaps it).
    """

    def __init__(
        self,
        cfg: Config,
        layout: StudyLayout,
        params: list[SearchParam],
        *,
        device: torch.device,
        worker_attrs: dict[str, Any],
        artifact_store: Any | None = None,
        on_event: EventFn | None = None,
        pipeline: Callable[..., RunResult] = run_pipeline,
    ) -> None:
        self.cfg = cfg
        self.layout = layout
        self.params = params
        self.device = device
        self.worker_attrs = worker_attrs
        self.artifact_store = artifact_store
        self.on_event = on_event or (lambda _e: None)
        self.pipeline = pipeline
        self.last_trial: int | None = None
        self.last_failed = False

    @property
    def _metrics(self) -> list[str]:
        return [o.metric for o in self.cfg.study.objectives]

    def __call__(self, trial: optuna.Trial) -> float | tuple[float, ...]:
        """Run one trial. Ctrl-C or SIGTERM anywhere in it (its set-up and bookkeeping too,
        not only the pipeline) fails it with the reason and queues its parameters again."""
        try:
            return self._run(trial)
        except KeyboardInterrupt as exc:
            how = "SIGTERM" if isinstance(exc, Terminated) else "Ctrl-C"
            trial.set_user_attr("fail_reason", f"interrupted ({how}); rerun to continue")
            requeue_interrupted(trial)  # retried with its parameters, like a killed trial
            raise

    def _run(self, trial: optuna.Trial) -> float | tuple[float, ...]:
        import optuna

        self.last_trial, self.last_failed = trial.number, False
        for key, value in self.worker_attrs.items():
            trial.set_user_attr(key, value)
        out_dir = self.layout.trial_dir(trial.number)
        out_dir.mkdir(parents=True, exist_ok=True)
        trial.set_user_attr("dir", str(out_dir))
        trial.set_user_attr(SEED_ATTR, trial_seed(self.cfg.study.seed, trial.number))
        trial_cfg, sampled = sample_config(trial, self.cfg, self.params)
        trial.set_user_attr("config_values", _short(sampled))
        self.on_event(TrialStarted(trial.number, dict(sampled)))
        start = time.time()
        try:
            result = self.pipeline(
                trial_cfg,
                out_dir=out_dir,
                work_dir=self.layout.root,
                device=self.device,
                seed=self.cfg.study.seed,
                report=self._reporter(trial, trial_cfg),
                gan_dir=self.layout.gan_cache / gan_cache_key(trial_cfg, self.cfg.study.seed),
            )
            values = self._objective_values(result.metrics)
        except optuna.TrialPruned as exc:
            seconds = round(time.time() - start, 2)
            trial.set_user_attr("seconds", seconds)
            self.on_event(TrialFinished(trial.number, "PRUNED", reason=str(exc) or "pruned",
                                        seconds=seconds))
            raise
        except Exception as exc:  # noqa: BLE001 - a trial's fault must not stop the study
            disk = disk_fault(exc)
            if disk is not None:  # every next trial would fail the same way: stop now
                _try(lambda: trial.set_user_attr("fail_reason", disk))
                raise GanlabError(disk) from exc
            return self._fail(trial, out_dir, exc, start)
        for name, value in result.metrics.items():  # one short line each in optuna-dashboard
            trial.set_user_attr(f"{METRIC_ATTR}{name}", value)
        if result.flags:  # e.g. per-class GAN collapse: the trial counts, with the reason
            trial.set_user_attr("flags", result.flags)
        seconds = round(time.time() - start, 2)
        trial.set_user_attr("seconds", seconds)
        self._upload(trial, result)
        self.on_event(TrialFinished(trial.number, "COMPLETE",
                                    dict(zip(self._metrics, values, strict=True)),
                                    seconds=seconds))
        return values[0] if len(values) == 1 else tuple(values)

    def _objective_values(self, metrics: dict[str, float]) -> list[float]:
        values = []
        for name in self._metrics:
            if name not in metrics:
                have = ", ".join(sorted(metrics)) or "none"
                raise TrainingError(
                    f"objective {name!r} was not recorded by this trial; recorded: {have}. "
                    "Pick one of these in [[study.objectives]]"
                )
            values.append(metrics[name])
        if any(math.isnan(v) for v in values):
            named = dict(zip(self._metrics, values, strict=True))
            raise TrainingError(f"objective is NaN: {named}")
        return values

    def _reporter(self, trial: optuna.Trial, cfg: Config) -> Callable[[str, int, dict], None]:
        import optuna

        single = len(self._metrics) == 1
        target = self._metrics[0]

        def report(phase: str, epoch: int, metrics: dict) -> None:
            self.on_event(EpochEnd(phase, epoch, dict(metrics), phase_epochs(cfg, phase),
                                   trial=trial.number))
            if not single:
                return  # Optuna prunes single-objective studies only
            value = metric_from_epoch(metrics, target)
            if value is None or math.isnan(value):
                return
            trial.report(value, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned(
                    f"pruned at {phase} epoch {epoch}: {target}={value:.3g}")

        return report

    def _fail(self, trial: optuna.Trial, out_dir: Path, exc: Exception, start: float) -> float:
        reason = describe_fault(exc)
        tb = "".join(traceback.format_exception(exc))
        atomic_write_text(out_dir / "error.log", f"{reason}\n\n{tb}")
        atomic_write_json(out_dir / "failed.json", {"reason": reason})
        trial.set_user_attr("fail_reason", reason)
        trial.set_user_attr("traceback", _tail(tb))  # the whole one is in error.log
        trial.set_user_attr("seconds", round(time.time() - start, 2))
        if "out of memory" in reason:
            _free_gpu_memory()
        self.last_failed = True
        self.on_event(TrialFinished(trial.number, "FAIL", reason=reason,
                                    seconds=round(time.time() - start, 2)))
        n = len(self._metrics)
        return float("nan") if n == 1 else tuple([float("nan")] * n)  # type: ignore[return-value]

    def _upload(self, trial: optuna.Trial, result: RunResult) -> None:
        if self.artifact_store is None:
            return
        from optuna.artifacts import upload_artifact

        files = [*result.sample_grids[-1:], *result.plots]
        for path in files:
            if Path(path).is_file():
                upload_artifact(artifact_store=self.artifact_store, file_path=str(path),
                                study_or_trial=trial)


def _tail(tb: str, keep: int = 1000) -> str:
    """A traceback's first line and its last ``keep`` characters (short for the dashboard)."""
    if len(tb) <= keep:
        return tb
    return tb.splitlines()[0] + "\n  ...\n" + tb[-keep:]


def _short(values: dict[str, Any]) -> dict[str, Any]:
    """Sampled values with floats to 4 significant digits (a short user attribute; the exact
    values are the trial's params and its config.json)."""
    return {k: float(f"{v:.4g}") if isinstance(v, float) else v for k, v in values.items()}


def _try(action: Callable[[], object]) -> None:
    """Run ``action``, ignoring an ``OSError`` (recording a reason on a full disk may fail)."""
    try:
        action()
    except OSError:
        pass


def _free_gpu_memory() -> None:
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
