"""One run of the pipeline: prepare data -> train a GAN (when needed) -> train a classifier.

The same function serves Optuna trials, ablation cells and baselines. It returns the run's
flat metrics (``val.roc_auc``, ``test.accuracy``, ``gan.fid``, ...) and writes everything under
``out_dir``: ``config.json``, ``metrics.json`` (flat), ``gan/`` and ``classifier/``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganlab.config import config_to_dict
from ganlab.errors import GanlabWarning, TrainingError
from ganlab.io import OnCorrupt, atomic_write_json, file_lock, read_state
from ganlab.lazy import lazy_namespace
from ganlab.provenance import environment
from ganlab.seeding import seed_everything
from ganlab.study.pipeline._gan_metrics import (
    METRICS_FILE,
    evaluate_gan,
    real_classifier_key,
    train_references,
    wants_gan_metrics,
)
from ganlab.tracking import Trackers

if TYPE_CHECKING:
    import torch

    from ganlab.config import Config

lazy = lazy_namespace("ganlab.classify", "ganlab.data", "ganlab.gan")

ReportFn = Callable[[str, int, dict], None]  # (phase "gan" | "classifier", epoch, metrics)


@dataclass
class RunResult:
    """What one pipeline run produced."""

    metrics: dict[str, float]  # flat: val.<m>, test.<m>, gan.fid, gan.kid
    out_dir: Path
    predictions: Path | None = None  # classifier predictions.csv (val + test)
    gan_checkpoint: Path | None = None
    sample_grids: list[Path] = field(default_factory=list)
    plots: list[Path] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # warnings about the run (GAN collapse)


def needs_gan(cfg: Config) -> bool:
    """Whether this config trains a GAN: synthesis, GAN pretraining, FID/KID, or GAN only.

    GAN pretraining: the classifier plugin has the ``UsesGanCheckpoint`` capability and the
    study file leaves its checkpoint keyword unset.
    """
    if not cfg.gan.enabled:
        return False
    clf, classify = cfg.classifier, lazy.classify
    trains_on_gan = clf.enabled and (
        classify.uses_gan(clf) or classify.gan_checkpoint_param(clf.model) is not None
    )
    gan_objective = any(o.metric.startswith("gan.") for o in cfg.study.objectives)
    return trains_on_gan or gan_objective or not clf.enabled


def flat_metrics(classify_metrics: dict | None, gan_metrics: dict | None) -> dict[str, float]:
    """``{"val.roc_auc": 0.91, ..., "gan.fid": 80.1}`` from the classifier's and GAN's metrics."""
    out: dict[str, float] = {}
    for split in ("val", "test"):
        for name, entry in (classify_metrics or {}).get(split, {}).items():
            value = entry.get("value") if isinstance(entry, dict) else entry
            if isinstance(value, (int, float)):
                out[f"{split}.{name}"] = float(value)
    for name, value in (gan_metrics or {}).items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[f"gan.{name}"] = float(value)
    return out


def gan_cache_key(cfg: Config, seed: int) -> str:
    """Key of a GAN that ablation cells and baselines may share: data + GAN settings + seed."""
    raw = config_to_dict(cfg)
    blob = json.dumps({"data": raw.get("data"), "gan": raw.get("gan"), "seed": seed},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def run_pipeline(
    cfg: Config,
    *,
    out_dir: Path,
    work_dir: Path,
    device: torch.device,
    seed: int,
    report: ReportFn | None = None,
    gan_dir: Path | None = None,
) -> RunResult:
    """Run data -> GAN -> classifier for ``cfg`` and write its results under ``out_dir``.

    Args:
        cfg: The run's resolved config.
        out_dir: The run's folder.
        work_dir: The study folder; the split and the preprocessing cache live there, shared.
        device: Torch device.
        seed: Seed of the GAN and the classifier.
        report: Called after every epoch of each phase (it may raise ``optuna.TrialPruned``).
        gan_dir: Where the GAN is trained (default ``out_dir/gan``). A finished GAN found there
            (``gan_result.json``) is reused instead of retrained; runs with the same data, GAN
            settings and seed pass the same ``gan-cache/<key>`` folder to train it once.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out_dir / "config.json", config_to_dict(cfg))

    tb = Trackers.of(cfg.study).run_log(out_dir)
    try:
        return _run(cfg, out_dir, work_dir, device, seed, report, gan_dir, tb)
    finally:
        if tb is not None:
            tb.close()


def _run(cfg: Config, out_dir: Path, work_dir: Path, device: torch.device, seed: int,
         report: ReportFn | None, gan_dir: Path | None, tb: Any) -> RunResult:
    """The body of :func:`run_pipeline` (``tb``: its TensorBoard log, or ``None``)."""

    started, where = time.time(), environment()
    seed_everything(seed)
    data = lazy.data.prepare_data(cfg.data, base_dir=Path(cfg.base_dir), work_dir=work_dir)
    augment = lazy.data.build_augmentation(cfg.data.augmentations)
    result = RunResult(metrics={}, out_dir=out_dir)
    phase = _Phase(cfg, data, out_dir, work_dir, device, seed, augment, report, tb)
    gan_metrics: dict[str, Any] = {}
    if needs_gan(cfg):
        gan_metrics = _gan_phase(phase, gan_dir or out_dir / "gan", result)
    classify_metrics = _classifier_phase(phase, result) if cfg.classifier.enabled else None
    if result.gan_checkpoint is not None and wants_gan_metrics(cfg):
        # scored last: a shared GAN is scored once, and a run started while another process
        # scores it trains its classifier first instead of waiting for the figures
        gan_metrics.update(_scored_metrics(phase, result))
    result.metrics = flat_metrics(classify_metrics, gan_metrics)
    atomic_write_json(out_dir / "run.json", {
        "seed": seed,
        "predictions": _rel(result.predictions, out_dir),
        "classifier_metrics": classify_metrics,
        "gan_metrics": gan_metrics,
        "gan_checkpoint": _rel(result.gan_checkpoint, out_dir),
        "sample_grids": [_rel(p, out_dir) for p in result.sample_grids],
        "plots": [_rel(p, out_dir) for p in result.plots],
        "class_names": list(data.class_names),
        "flags": result.flags,
        "environment": {**where, **_device_info(device),
                        "wall_seconds": round(time.time() - started, 1)},
    })
    atomic_write_json(out_dir / "metrics.json", result.metrics)  # written last: marks "done"
    return result


def train_shared_gan(
    cfg: Config,
    *,
    gan_dir: Path,
    work_dir: Path,
    device: torch.device,
    seed: int,
    report: ReportFn | None = None,
) -> None:
    """Train (or find) the GAN that runs of ``cfg`` with ``seed`` share in ``gan_dir``, and
    score it when the study wants GAN metrics, exactly as the first such run would.

    The study's worker pool runs this as a unit of its own, so the runs that need the GAN
    start once it is there instead of waiting on its lock; its scoring is a unit of its own
    too (:func:`score_shared_gan`).
    """

    seed_everything(seed)  # the same sequence as _run: seed, data, augmentation, GAN
    data = lazy.data.prepare_data(cfg.data, base_dir=Path(cfg.base_dir), work_dir=work_dir)
    augment = lazy.data.build_augmentation(cfg.data.augmentations)
    _train_or_reuse_gan(cfg, data, gan_dir, device, seed, augment, report)


def score_shared_gan(cfg: Config, *, gan_dir: Path, work_dir: Path, device: torch.device,
                     seed: int) -> bool:
    """Score the trained GAN in ``gan_dir`` once, as the first run needing its figures would.

    Returns ``False`` (nothing scored) when the GAN has not been trained: its own unit says why.
    """
    summary = read_state(gan_dir / "gan_result.json", what="GAN result")
    if summary is None:
        return False
    seed_everything(seed)
    data = lazy.data.prepare_data(cfg.data, base_dir=Path(cfg.base_dir), work_dir=work_dir)
    _score_gan(cfg, data, Path(_abs(summary["checkpoint"], gan_dir)), work_dir, device, seed)
    return True


def train_gan_references(cfg: Config, *, gan_dir: Path, work_dir: Path, device: torch.device,
                         seed: int) -> None:
    """Train the real-data classifiers that scoring the GAN of ``gan_dir`` uses (the feature
    network, TRTR), unless that GAN is scored already; they need no GAN, so a worker trains
    them while another trains the GAN."""
    if (gan_dir / "metrics" / METRICS_FILE).exists():
        return
    seed_everything(seed)
    data = lazy.data.prepare_data(cfg.data, base_dir=Path(cfg.base_dir), work_dir=work_dir)
    train_references(cfg, data, work_dir=work_dir, device=device, seed=seed)


@dataclass(frozen=True)
class _Phase:
    """What the GAN and the classifier phase of one run share."""

    cfg: Config
    data: Any  # the PreparedData of the GAN's image size
    out_dir: Path
    work_dir: Path
    device: torch.device
    seed: int
    augment: Any  # the batch augmentation of data.augmentations
    report: ReportFn | None
    tb: Any  # the run's TensorBoard log, or None


def _gan_phase(phase: _Phase, gan_path: Path, result: RunResult) -> dict[str, Any]:
    """Train the GAN (or reuse a finished one in ``gan_path``); its flat training metrics."""

    cfg, tb = phase.cfg, phase.tb
    trained_now = not (gan_path / "gan_result.json").exists()
    gan = _train_or_reuse_gan(cfg, phase.data, gan_path, phase.device, phase.seed, phase.augment,
                              Trackers.report(phase.report, tb, lambda: sorted(
                                  (gan_path / "samples").glob("epoch_*.png"))))
    if tb is not None:
        if not trained_now:  # a shared GAN trained by an earlier run
            tb.history("gan", gan["history"])
        tb.images("gan", gan["sample_grids"][-1:], len(gan["history"]))
    result.gan_checkpoint = Path(gan["checkpoint"])
    result.sample_grids = [Path(p) for p in gan["sample_grids"]]
    gan_metrics = dict(gan["metrics"])
    atomic_write_json(phase.out_dir / "gan_history.json", gan["history"])
    result.flags += [h["class_collapse"] for h in gan["history"][-1:]
                     if h.get("class_collapse")]
    return gan_metrics


def _scored_metrics(phase: _Phase, result: RunResult) -> dict[str, Any]:
    """The offline figures of the run's GAN (computed once per GAN); flags a collapse."""
    assert result.gan_checkpoint is not None
    scored = _score_gan(phase.cfg, phase.data, result.gan_checkpoint, phase.work_dir,
                        phase.device, phase.seed)
    if scored["collapse"]["reason"] and not result.flags:
        result.flags.append(scored["collapse"]["reason"])
    return scored["flat"]


def _classifier_phase(phase: _Phase, result: RunResult) -> dict[str, Any]:
    """Train and evaluate the classifier (resuming an interrupted one); its metrics."""
    cfg, tb, classify = phase.cfg, phase.tb, lazy.classify
    clf_cfg = cfg.classifier
    model = classify.with_gan_checkpoint(clf_cfg.model, result.gan_checkpoint)  # GAN pretraining
    clf_cfg = dataclasses.replace(clf_cfg, model=model)
    both = Trackers.report(phase.report, tb)
    clf_report = (lambda e, m: both("classifier", e, m)) if both else None
    data_cfg = classify.classifier_data(cfg)  # classifier.image_size may not be the GAN's

    def prepared(fold: int | None = None) -> Any:
        if data_cfg is cfg.data and not fold:
            return phase.data  # what the GAN trained on (fold 0 with k folds)
        return lazy.data.prepare_data(data_cfg, base_dir=Path(cfg.base_dir),
                                      work_dir=phase.work_dir, fold=fold)

    generator = result.gan_checkpoint if classify.uses_gan(clf_cfg) else None
    augment = phase.augment if clf_cfg.augment else None
    folds = cfg.data.split.folds
    if folds >= 2:  # the run's figures are the fold ensemble's: out-of-fold validation
        clf = classify.train_fold_ensemble(
            clf_cfg, prepared, folds, out_dir=phase.out_dir / "classifier", device=phase.device,
            seed=phase.seed, augment=augment, generator_checkpoint=generator, resume=True)
    else:
        clf_data = prepared()
        clf = classify.train_classifier(
            clf_cfg,
            clf_data,
            out_dir=phase.out_dir / "classifier",
            device=phase.device,
            seed=phase.seed,
            augment=augment,
            generator_checkpoint=generator,
            report=clf_report,
            resume=True,  # an interrupted trial continues its classifier from the last epoch
            reference_dir=_reference_dir(phase, clf_cfg, clf_data),
        )
        if clf_cfg.refit:  # the deployable model next to the validated one; figures stay its
            classify.refit_classifier(clf_cfg, clf_data, run_dir=phase.out_dir / "classifier",
                                      out_dir=phase.out_dir / "classifier" / "refit",
                                      device=phase.device, seed=phase.seed, augment=augment,
                                      generator_checkpoint=generator, resume=True)
    result.predictions = Path(clf.predictions)
    result.plots = [Path(p) for p in clf.plots]
    atomic_write_json(phase.out_dir / "classifier_history.json", clf.history)
    if tb is not None:
        tb.images("classifier", result.plots)
    return clf.metrics


def _reference_dir(phase: _Phase, clf_cfg: Any, data: Any) -> Path:
    """The study's folder for the real-data classifier of ``clf_cfg``'s recipe, data and seed:
    a filtering strategy's reference, shared with the real-only run of that recipe (the base
    cell of a synthesis study) instead of trained once more per run."""
    real = lazy.classify.real_recipe(clf_cfg)
    key = real_classifier_key(phase.cfg, data, real, seed=phase.seed)
    return Path(phase.work_dir) / "references" / f"real-{key}"


def _device_info(device: torch.device) -> dict[str, Any]:
    """The run's device and torch threads (the GPU's name on CUDA)."""
    import torch

    info: dict[str, Any] = {"device": str(device), "torch_threads": torch.get_num_threads()}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def _score_gan(cfg: Config, data: Any, checkpoint: Path, work_dir: Path, device: torch.device,
               seed: int) -> dict[str, Any]:
    """:func:`evaluate_gan` once per GAN: the figures are kept next to its checkpoint. A file
    lock makes a second process wait for the first one's figures instead of scoring again."""

    out_dir = Path(checkpoint).parent / "metrics"
    with file_lock(out_dir.parent / "metrics.lock"):
        cached = read_state(out_dir / METRICS_FILE, what="cached GAN metrics",
                            on_corrupt="set_aside")
        if cached is not None:
            return cached
        return evaluate_gan(cfg, data, checkpoint, out_dir=out_dir, work_dir=work_dir,
                            device=device, seed=seed)


def _rel(path: str | Path | None, base: Path) -> str | None:
    """``path`` relative to ``base`` (a study folder can be moved or opened from elsewhere)."""
    if path is None:
        return None
    return os.path.relpath(Path(path).resolve(), base.resolve())


def _abs(path: str, base: Path) -> str:
    return os.path.normpath(base.resolve() / path)


def load_run(out_dir: Path, *, on_corrupt: OnCorrupt = "warn") -> dict[str, Any] | None:
    """The summary of a finished run (``run.json`` plus flat ``metrics``), or ``None``.

    File paths in the summary are returned absolute. A corrupt ``run.json`` or
    ``metrics.json`` counts as an unfinished run: ``on_corrupt="set_aside"`` (a stage that
    reruns it) moves it aside, ``"warn"`` (reports) leaves it in place.
    """
    done, summary = out_dir / "metrics.json", out_dir / "run.json"
    if not done.exists() or not summary.exists():
        return None
    out = read_state(summary, what="run summary", on_corrupt=on_corrupt)
    metrics = read_state(done, what="run metrics", on_corrupt=on_corrupt)
    if out is None or metrics is None:
        return None
    for key in ("predictions", "gan_checkpoint"):
        if out.get(key):
            out[key] = _abs(out[key], out_dir)
    for key in ("sample_grids", "plots"):
        out[key] = [_abs(p, out_dir) for p in out.get(key) or []]
    out["metrics"] = metrics
    out["dir"] = str(out_dir)
    return out


def _train_or_reuse_gan(
    cfg: Config,
    data: Any,
    gan_dir: Path,
    device: torch.device,
    seed: int,
    augment: Any,
    report: ReportFn | None,
) -> dict[str, Any]:
    done = gan_dir / "gan_result.json"
    gan_dir.mkdir(parents=True, exist_ok=True)
    # one process trains a shared GAN; the others wait and reuse it (the kernel drops the
    # lock if the trainer dies, and the next one resumes from its checkpoint)
    with file_lock(gan_dir.parent / f"{gan_dir.name}.lock"):
        _set_aside_if_unreadable(gan_dir)
        summary = read_state(done, what="GAN result", on_corrupt="set_aside")
        if summary is not None:
            summary["checkpoint"] = _abs(summary["checkpoint"], gan_dir)
            summary["sample_grids"] = [_abs(g, gan_dir) for g in summary["sample_grids"]]
            return summary
        gan_report = (lambda e, m: report("gan", e, m)) if report else None
        res = lazy.gan.train_gan(cfg.gan, data.train, out_dir=gan_dir, device=device, seed=seed,
                                 augment=augment, resume=True, report=gan_report)
        summary = {
            "checkpoint": _rel(res.checkpoint, gan_dir),
            "sample_grids": [_rel(p, gan_dir) for p in res.sample_grids],
            "metrics": res.metrics,
            "history": res.history,
        }
        atomic_write_json(done, summary)
        summary["checkpoint"] = str(Path(res.checkpoint).resolve())
        summary["sample_grids"] = [str(Path(p).resolve()) for p in res.sample_grids]
        return summary


def _set_aside_if_unreadable(gan_dir: Path) -> None:
    """Move a GAN folder whose checkpoint cannot be read to ``<dir>.broken-<time>``, warning.

    The GAN is then trained again from scratch (once: a checkpoint it writes is readable).
    """
    import time
    import warnings


    ckpt = gan_dir / "checkpoint.pt"
    if not ckpt.exists():
        return
    try:
        lazy.gan.read_checkpoint(ckpt)
    except TrainingError as exc:
        aside = gan_dir.with_name(f"{gan_dir.name}.broken-{time.strftime('%Y%m%dT%H%M%S')}")
        os.replace(gan_dir, aside)
        gan_dir.mkdir()
        warnings.warn(f"{exc} Moved {gan_dir} aside to {aside}; training the GAN again.",
                      GanlabWarning, stacklevel=2)


def describe_fault(exc: BaseException) -> str:
    """One line saying why a run (a trial, an ablation cell, a baseline) failed."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    kind = type(exc).__name__
    if "out of memory" in str(exc).lower() or kind == "OutOfMemoryError":
        return f"out of memory ({kind}): {text}"[:500]
    return f"{kind}: {text}"[:500]
