"""Offline GAN metrics of one checkpoint, each stored with its measurement protocol.

* **precision, recall, density, coverage per class** (Kynkäänniemi et al. 2019; Naeem et al.
  2020) on the penultimate features of a classifier trained on the real train side only (no
  download; trained once per study and data split with ``gan.metrics.feature_seed``, cached
  under ``<study>/gan-metrics/``, so every seed of a study is measured with one network);
* the **classifier-feature Fréchet distance** on the same features (not comparable with
  published FID);
* **TSTR** (train on synthetic, test on real; the classification accuracy score of Ravuri &
  Vinyals 2019): a classifier trained only on generated images (as many as the real train side
  has, drawn once as in that paper, or afresh every epoch with ``classifier.synthetic_refresh =
  "epoch"``), early-stopped and thresholded
  on the real validation side, scored on the real test side (``gan.tstr_roc_auc``), next to
  its reference **TRTR**, the same recipe trained on the real train side (``gan.trtr_roc_auc``);
* **per-class collapse**: each class's sample diversity against its real images';
* **Inception FID/KID** when clean-fid's Inception weights are available.

This module sits above ``ganlab.gan`` and ``ganlab.classify``: it builds the feature callable
that ``ganlab.metrics`` receives.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganlab.errors import WeightsError
from ganlab.io import atomic_write_json, file_lock, read_state
from ganlab.lazy import lazy_namespace
from ganlab.metrics import (
    compute_fid,
    fid_from_features,
    image_features,
    inception_backbone,
    per_class_prdc,
    resolve_inception_weights,
)

if TYPE_CHECKING:
    import torch

    from ganlab.config import Config
    from ganlab.data import PreparedData

lazy = lazy_namespace("ganlab.classify", "ganlab.data", "ganlab.gan")

METRICS_FILE = "gan_metrics.json"
OBJECTIVE_METRICS = ("precision", "recall", "density", "coverage", "fd_classifier",
                     "kd_classifier", "tstr_roc_auc", "tstr_accuracy")
"""Flat ``gan.<name>`` metrics this module records (per class: ``gan.<name>.<class>``)."""


def wants_gan_metrics(cfg: Config) -> bool:
    """Whether a run scores its GAN: ``gan.metrics.enabled`` or an objective names one."""
    names = {f"gan.{m}" for m in OBJECTIVE_METRICS}
    return cfg.gan.metrics.enabled or any(
        o.metric in names or o.metric.rsplit(".", 1)[0] in names for o in cfg.study.objectives
    )


def real_classifier_key(cfg: Config, data: PreparedData, clf_cfg: Any, *, seed: int) -> str:
    """Hash of everything a classifier trained on the real train side depends on (the split's
    sample ids, the recipe ``clf_cfg``, the seed, the augmentations it uses)."""
    blob = json.dumps({
        "cache_key": data.protocol.get("cache_key"), "train": list(data.train.ids),
        "val": list(data.val.ids), "test": list(data.test.ids),
        "classifier": {k: v for k, v in dataclasses.asdict(clf_cfg).items()
                       if k != "synthesis" or v is not None},  # keys from before it existed
        "seed": seed,
        "augmentations": [a.as_dict() for a in cfg.data.augmentations] if clf_cfg.augment
        else None,
    }, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _augmentation(cfg: Config, clf_cfg: Any) -> Any:
    """``data.augmentations`` as one callable when the recipe ``clf_cfg`` augments, else None."""

    return lazy.data.build_augmentation(cfg.data.augmentations) if clf_cfg.augment else None


def _real_classifier(cfg: Config, data: PreparedData, clf_cfg: Any, *, kind: str,
                     work_dir: Path, device: torch.device,
                     seed: int) -> tuple[Path, dict[str, Any]]:
    """``model.pt`` and ``done.json`` of ``clf_cfg`` trained on the real train side, cached.

    ``clf_cfg`` is taken in ``"real"`` mode whatever its ``mode`` and synthetic settings, which
    do not change a real-only run (one cache entry for all of them).

    Trained once per study, data split, recipe and seed under ``gan-metrics/<kind>-<key>/`` (a
    file lock keeps parallel trials from training it twice); early stopping and the threshold
    use the real validation side.
    """

    clf_cfg = dataclasses.replace(clf_cfg, mode="real", synthetic_ratio=0.0,
                                  synthetic_refresh="once", synthesis=None)
    key = real_classifier_key(cfg, data, clf_cfg, seed=seed)
    folder = Path(work_dir) / "gan-metrics" / f"{kind}-{key}"
    folder.mkdir(parents=True, exist_ok=True)
    done = folder / "done.json"
    with file_lock(str(folder) + ".lock"):
        summary = read_state(done, what="feature classifier record", on_corrupt="set_aside")
        if summary is None:
            res = lazy.classify.train_classifier(clf_cfg, data, out_dir=folder, device=device,
                                                 seed=seed, augment=_augmentation(cfg, clf_cfg))
            atomic_write_json(done, {
                "val_roc_auc": res.metrics["val"]["roc_auc"]["value"],
                "test": {m: res.metrics["test"][m] for m in ("roc_auc", "accuracy")},
                "threshold": res.metrics["threshold"],
                "epochs_run": res.metrics["protocol"]["epochs_run"],
                "best_epoch": res.metrics["protocol"]["best_epoch"],
            })
            summary = read_state(done, what="feature classifier record")
    return folder / "model.pt", summary


def feature_classifier(
    cfg: Config, data: PreparedData, *, work_dir: Path, device: torch.device
) -> Path:
    """The feature network's ``model.pt``: trained on the real train side once, then reused.

    Its seed is ``gan.metrics.feature_seed``, not the run's: every seed and trial of a study is
    measured with the same network. The test side is not used for anything the metrics depend on.
    """
    m = cfg.gan.metrics
    clf_cfg = dataclasses.replace(
        cfg.classifier, model=m.feature_classifier, epochs=m.feature_epochs, augment=False,
    )
    path, _ = _real_classifier(cfg, data, clf_cfg, kind="features", work_dir=work_dir,
                               device=device, seed=m.feature_seed)
    return path


def train_references(cfg: Config, data: PreparedData, *, work_dir: Path, device: torch.device,
                     seed: int) -> None:
    """Train (or find) the real-data classifiers that scoring a GAN of ``cfg`` and ``seed``
    uses: the feature network and, with ``tstr`` and ``trtr``, the TRTR reference.

    Neither depends on the GAN, so a study's worker pool trains them beside it; scoring then
    finds them in ``gan-metrics/`` instead of training them after the GAN.
    """
    feature_classifier(cfg, data, work_dir=work_dir, device=device)
    m = cfg.gan.metrics
    if m.tstr and m.trtr:
        _real_classifier(cfg, data, _tstr_config(cfg), kind="trtr", work_dir=work_dir,
                         device=device, seed=seed)


def _sample_classes(
    checkpoint: Path, n_per_class: list[int], *, device: torch.device, seed: int
) -> tuple[torch.Tensor, torch.Tensor, dict[str, Any]]:
    import torch


    generator, meta = lazy.gan.load_generator(checkpoint, device=device)
    labels = torch.cat([torch.full((n,), c, dtype=torch.long) for c, n in enumerate(n_per_class)])
    conditional = bool(meta.get("num_classes"))
    images = lazy.gan.generate(generator, len(labels), nz=int(meta["nz"]),
                               labels=labels if conditional else None, device=device, seed=seed)
    return images, labels, meta


def _real_subset(data: PreparedData, n_per_class: int, seed: int) -> tuple[torch.Tensor, ...]:
    import torch

    gen = torch.Generator().manual_seed(seed)
    keep = []
    for c in range(len(data.class_names)):
        idx = torch.nonzero(data.train.labels == c).flatten()
        keep.append(idx[torch.randperm(len(idx), generator=gen)[:n_per_class]])
    pick = torch.cat(keep)
    return data.train.images[pick], data.train.labels[pick]


def evaluate_gan(
    cfg: Config,
    data: PreparedData,
    checkpoint: Path,
    *,
    out_dir: Path,
    work_dir: Path,
    device: torch.device,
    seed: int,
    feature_checkpoint: Path | None = None,
) -> dict[str, Any]:
    """Score a GAN checkpoint on the study's data; writes ``out_dir/gan_metrics.json``.

    Args:
        cfg: The study config (``gan.metrics``, ``gan.fid``, ``classifier`` settings).
        data: The prepared data (train: reference images and feature net; val/test: TSTR).
        checkpoint: The GAN checkpoint.
        out_dir: Where the JSON and the TSTR classifier go.
        work_dir: The study folder (the feature net is cached there).
        device: Torch device.
        seed: Seed of sampling, subsets and classifiers.
        feature_checkpoint: A classifier ``model.pt`` to use as the feature net instead.

    Returns:
        ``{"protocol", "per_class", "mean", "fd_classifier", "tstr", "collapse", "inception",
        "flat"}``; ``flat`` holds the ``gan.*`` numbers a study records.
    """

    m = cfg.gan.metrics
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = list(data.class_names)
    real, real_y = _real_subset(data, m.n_per_class, seed)
    counts = dict(zip(names, [int((real_y == c).sum()) for c in range(len(names))], strict=True))
    fake, fake_y, meta = _sample_classes(checkpoint, list(counts.values()), device=device,
                                         seed=seed + 11)
    if feature_checkpoint is None:
        feature_checkpoint = feature_classifier(cfg, data, work_dir=work_dir, device=device)
    backbone = lazy.classify.classifier_backbone(feature_checkpoint, device=device)
    features = _feature_metrics(backbone, real, real_y, fake, fake_y, names=names, k=m.k)
    protocol = _protocol(m, checkpoint, meta, backbone, feature_checkpoint,
                         feature_dim=features.pop("feature_dim"), counts=counts, seed=seed)
    result: dict[str, Any] = {
        "protocol": protocol,
        **features,
        "collapse": _collapse(real, real_y if meta.get("num_classes") else None, fake, fake_y,
                              names=names, ratio=m.collapse_ratio, seed=seed),
    }
    if m.tstr:
        result["tstr"] = _tstr(cfg, data, checkpoint, out_dir=out_dir / "tstr",
                               work_dir=work_dir, device=device, seed=seed)
    result["inception"] = _inception(cfg, real, fake, device=device)
    result["flat"] = flat_gan_metrics(result)
    atomic_write_json(out_dir / METRICS_FILE, result)
    return result


def _collapse(real: torch.Tensor, real_y: torch.Tensor | None, fake: torch.Tensor,
              fake_y: torch.Tensor, *, names: list[str], ratio: float,
              seed: int) -> dict[str, Any]:
    """The per-class collapse check (``real_y`` ``None``: an unconditional generator)."""

    detector = lazy.gan.ClassCollapseDetector(real, real_y, names, ratio=ratio, seed=seed)
    per_class = detector.measure(fake, fake_y)
    return {"ratio_threshold": ratio, "per_class": per_class,
            "reason": detector.reason(per_class)}


def _protocol(m: Any, checkpoint: Path, meta: dict[str, Any], backbone: Any,
              feature_checkpoint: Path, *, feature_dim: int, counts: dict[str, int],
              seed: int) -> dict[str, Any]:
    """How the figures of :func:`evaluate_gan` were measured (``m``: ``cfg.gan.metrics``)."""
    return {
        "checkpoint": str(checkpoint),
        "generator": meta.get("generator"),
        "ema_generator": meta.get("ema"),  # None: a checkpoint without an EMA record
        "generator_precision": meta.get("precision"),  # None: not recorded (older checkpoint)
        "backbone": backbone.name,
        "backbone_checkpoint": str(feature_checkpoint),
        "weights_sha256": backbone.weights_sha256,
        "feature_classifier": m.feature_classifier.as_dict(),
        "feature_trained_on": "real train side (early stopping on real val)",
        "feature_seed": m.feature_seed,
        "feature_dim": feature_dim,
        "k": m.k,
        "n_real_per_class": counts,
        "n_fake_per_class": counts,
        "real_reference": "real train side, a seeded subset of at most n_per_class a class",
        "seed": seed,
        "comparable_with_published_fid": False,
    }


def _feature_metrics(backbone: Any, real: torch.Tensor, real_y: torch.Tensor,
                     fake: torch.Tensor, fake_y: torch.Tensor, *, names: list[str],
                     k: int) -> dict[str, Any]:
    """Per-class PRDC and the classifier-feature Fréchet distance (overall and per class)."""

    real_f, fake_f = image_features(real, backbone), image_features(fake, backbone)
    ry, fy = real_y.numpy(), fake_y.numpy()
    out = per_class_prdc(real_f, ry, fake_f, fy, class_names=names, k=k)
    fd = fid_from_features(real_f, fake_f, backbone=backbone, kid=True,
                           image_size=int(real.shape[-1]))
    for c, name in enumerate(names):
        per = fid_from_features(real_f[ry == c], fake_f[fy == c], backbone=backbone, kid=False)
        out["per_class"][name]["fd_classifier"] = per["fid"]
    out.update(fd_classifier=fd["fid"], kd_classifier=fd["kid"], fd_protocol=fd["fid_protocol"],
               feature_dim=int(real_f.shape[1]))
    return out


def _tstr_config(cfg: Config) -> Any:
    """The TSTR recipe (the study's classifier settings, ``tstr_classifier``, ``tstr_epochs``),
    trained on synthetic images only."""
    m = cfg.gan.metrics
    return dataclasses.replace(cfg.classifier, model=m.tstr_classifier, mode="synthetic",
                               synthetic_ratio=0.0, synthesis=None, epochs=m.tstr_epochs)


def _tstr(cfg: Config, data: PreparedData, checkpoint: Path, *, out_dir: Path, work_dir: Path,
          device: torch.device, seed: int) -> dict[str, Any]:
    """Train on synthetic images only; test on the real test side.

    With ``gan.metrics.trtr`` the same recipe is also trained on the real train side (same seed,
    cached per study): TSTR is read against that reference (the ratio of Ravuri & Vinyals).
    """

    m = cfg.gan.metrics
    clf_cfg = _tstr_config(cfg)
    res = lazy.classify.train_classifier(clf_cfg, data, out_dir=out_dir, device=device, seed=seed,
                                         augment=_augmentation(cfg, clf_cfg),
                                         generator_checkpoint=checkpoint)
    test = res.metrics["test"]
    proto = res.metrics["protocol"]
    out: dict[str, Any] = {
        "roc_auc": test["roc_auc"],
        "accuracy": test["accuracy"],
        "protocol": {
            "classifier": m.tstr_classifier.as_dict(),
            "epochs": m.tstr_epochs,
            "trained_on": f"{proto['n_train_synthetic']} synthetic images only (class-balanced"
                          + (", drawn afresh every epoch)" if clf_cfg.synthetic_refresh == "epoch"
                             else ", drawn once)"),
            "synthetic_refresh": clf_cfg.synthetic_refresh,
            "early_stopping_and_threshold": "real validation side",
            "tested_on": f"real test side ({len(data.test)} images)",
            "epochs_run": proto["epochs_run"],
            "best_epoch": proto["best_epoch"],
            "threshold": res.metrics["threshold"],
            "checkpoint": str(res.checkpoint),
        },
    }
    if m.trtr:
        path, trtr = _real_classifier(cfg, data, clf_cfg, kind="trtr",
                                      work_dir=work_dir, device=device, seed=seed)
        out["trtr"] = {**trtr, "trained_on": f"{len(data.train)} real train images",
                       "checkpoint": str(path)}
    return out


def _inception(cfg: Config, real: torch.Tensor, fake: torch.Tensor, *,
               device: torch.device) -> dict[str, Any]:
    fid_cfg = cfg.gan.fid
    try:
        resolve_inception_weights(fid_cfg.inception_weights)
    except WeightsError as exc:
        return {"skipped": f"no Inception weights: {str(exc).split('. ')[0]}"}
    net = inception_backbone(fid_cfg.inception_weights, device=device)
    return compute_fid(real, fake, backbone=net, kid=fid_cfg.kid)


def flat_gan_metrics(result: dict[str, Any]) -> dict[str, float]:
    """``{"precision": .., "precision.benign": .., "tstr_roc_auc": .., ...}`` (no ``gan.``)."""
    out: dict[str, float] = {}
    for name, value in result["mean"].items():
        out[name] = float(value)
    for cls, scores in result["per_class"].items():
        for name, value in scores.items():
            if not name.startswith("n_"):
                out[f"{name}.{cls}"] = float(value)
    for cls, measured in result["collapse"]["per_class"].items():
        out[f"diversity_ratio.{cls}"] = float(measured["ratio"])
    out["fd_classifier"] = float(result["fd_classifier"])
    out["kd_classifier"] = float(result["kd_classifier"])
    if "tstr" in result:
        out["tstr_roc_auc"] = float(result["tstr"]["roc_auc"]["value"])
        out["tstr_accuracy"] = float(result["tstr"]["accuracy"]["value"])
        if "trtr" in result["tstr"]:
            out["trtr_roc_auc"] = float(result["tstr"]["trtr"]["test"]["roc_auc"]["value"])
            out["trtr_accuracy"] = float(result["tstr"]["trtr"]["test"]["accuracy"]["value"])
    inc = result.get("inception", {})
    for key in ("fid", "kid"):
        if isinstance(inc.get(key), (int, float)):
            out[key] = float(inc[key])
    return out

