"""The model a user deploys: a refit on train + validation, or an ensemble of k fold models.

- **Refit** (:func:`refit_classifier`): a run validated as usual chose the epoch count (its
  best epoch) and the decision threshold on validation; the refit trains the same settings for
  that many epochs on train + validation and keeps that threshold. Its validation figures are
  no longer held out (they are reported, flagged); the test side stays untouched.
- **Fold ensemble** (:func:`train_fold_ensemble`): with ``data.split.folds = K`` one model per
  fold, each validated (early stopping, threshold) on its own fold; the test side is never used
  for any choice. The saved classifier averages the members' probabilities
  (:class:`FoldEnsemble`); its threshold is chosen on the out-of-fold validation predictions
  (every train + validation image scored by the member that did not train on it).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ganlab.classify._checkpoint import load_classifier
from ganlab.classify._fold_model import ENSEMBLE_KIND, FoldEnsemble
from ganlab.classify._loop import positive_probability, predict_logits
from ganlab.classify._outputs import Scored
from ganlab.classify._train import ClassifyResult, score_and_write, train_classifier
from ganlab.config import ClassifierConfig
from ganlab.data import ImageSet, PreparedData
from ganlab.device import choose_precision
from ganlab.errors import ConfigError


def read_refit_base(run_dir: Path) -> dict[str, Any]:
    """What a refit takes from a validated run: its best epoch and validation threshold."""
    path = Path(run_dir) / "metrics.json"
    metrics = json.loads(path.read_text()) if path.is_file() else {}
    proto = metrics.get("protocol") or {}
    best = proto.get("best_epoch") or 0
    threshold = metrics.get("threshold") or {}
    if not metrics.get("val") or best < 1 or "value" not in threshold or proto.get("refit"):
        raise ConfigError(
            f"{path}: no validation figures to refit from (a refit takes the epoch count and "
            "the threshold that a run chose on validation)", path="refit",
            hint="train the classifier first, without refit, into the same output folder")
    return {"from": str(run_dir), "best_epoch": int(best),
            "threshold": {**threshold, "chosen_on": f"val of {run_dir}"}}


def merge_train_val(data: PreparedData) -> PreparedData:
    """``data`` with the validation images added to the training side."""
    t, v = data.train, data.val
    train = ImageSet(torch.cat([t.images, v.images]), torch.cat([t.labels, v.labels]),
                     [*t.paths, *v.paths], [*t.ids, *v.ids], t.class_names)
    return dataclasses.replace(data, train=train)


def refit_classifier(cfg: ClassifierConfig, data: PreparedData, *, run_dir: Path,
                     out_dir: Path, device: torch.device, seed: int,
                     augment: Callable[[Tensor], Tensor] | None = None,
                     generator_checkpoint: Path | None = None,
                     progress: Callable[[dict], None] | None = None,
                     resume: bool = False) -> ClassifyResult:
    """Retrain ``cfg`` on train + validation for the best epoch count of the validated run in
    ``run_dir``, keeping its validation-chosen threshold (written to ``out_dir``)."""
    base = read_refit_base(run_dir)
    epochs = base["best_epoch"]
    refit_cfg = dataclasses.replace(cfg, epochs=epochs, patience=0, max_minutes=None,
                                    warmup_epochs=min(cfg.warmup_epochs, float(epochs)))
    return train_classifier(refit_cfg, merge_train_val(data), out_dir=out_dir, device=device,
                            seed=seed, augment=augment,
                            generator_checkpoint=generator_checkpoint, progress=progress,
                            resume=resume, refit=base)


def _out_of_fold(results: list[ClassifyResult], models: list[nn.Module], data: PreparedData,
                 cfg: ClassifierConfig, device: torch.device) -> list[Scored]:
    """Out-of-fold validation (each member's own validation predictions) and the ensemble's
    test predictions, as the two scored sets of the ensemble."""
    import csv

    ids, paths, labels, probs = [], [], [], []
    for result in results:
        with open(result.predictions, newline="") as f:
            for row in csv.DictReader(f):
                if row["split"] == "val":
                    ids.append(row["sample_id"])
                    paths.append(row["path"])
                    labels.append(int(row["label"]))
                    probs.append(float(row["prob_positive"]))
    test = data.test
    logits = predict_logits(FoldEnsemble(models).to(device), test.images, device=device,
                            tta=cfg.tta, amp_dtype=choose_precision(cfg.amp, device).dtype)
    return [Scored("val", ids, paths, np.asarray(labels, dtype=np.int64), np.asarray(probs)),
            Scored("test", list(test.ids), list(test.paths),
                   test.labels.numpy().astype(np.int64), positive_probability(logits))]


def train_fold_ensemble(cfg: ClassifierConfig, fold_data: Callable[[int], PreparedData],
                        folds: int, *, out_dir: Path, device: torch.device, seed: int,
                        augment: Callable[[Tensor], Tensor] | None = None,
                        generator_checkpoint: Path | None = None,
                        progress: Callable[[dict], None] | None = None,
                        resume: bool = False) -> ClassifyResult:
    """One model per fold (``fold-<k>/``, validated on fold k), then their average: model.pt,
    metrics.json (validation: out-of-fold) and predictions.csv in ``out_dir``."""
    results, models, refs = [], [], []
    for k in range(folds):
        data = fold_data(k)
        result = train_classifier(cfg, data, out_dir=Path(out_dir) / f"fold-{k}", device=device,
                                  seed=seed + k, augment=augment,
                                  generator_checkpoint=generator_checkpoint, progress=progress,
                                  resume=resume)
        model, meta = load_classifier(result.checkpoint, device=device)
        results.append(result)
        models.append(model)
        refs.append(meta["classifier"])
    ensemble = FoldEnsemble(models)
    sets = _out_of_fold(results, models, data, cfg, device)
    protocol = {**results[0].metrics["protocol"], "ensemble": {
        "kind": ENSEMBLE_KIND, "folds": folds, "members": [str(r.checkpoint) for r in results],
        "best_epochs": [r.metrics["protocol"]["best_epoch"] for r in results],
        "seeds": [seed + k for k in range(folds)], "val": "out-of-fold"}}
    return score_and_write(cfg, data, ensemble, out_dir=Path(out_dir), device=device, seed=seed,
                           protocol=protocol, model_ref={"name": ENSEMBLE_KIND}, history=[],
                           sets=sets, meta={"kind": ENSEMBLE_KIND, "members": refs})
