"""Ensembles of stored predictions: soft voting, weighted voting and stacking.

Members are the top-k completed trials (by the first objective) and, with
``include_baselines``, each baseline's first-seed run. Everything is fitted on validation
predictions only and scored once on test:

- ``soft``: the mean of the members' probabilities.
- ``weighted``: a weighted mean, weights ``max(val AUC - 0.5, 0)`` normalised (equal weights
  when no member beats chance).
- ``stacking``: scikit-learn ``LogisticRegression`` on the members' validation logits.

Each ensemble's threshold is Youden's on validation, as for single classifiers. On test it is
reported with bootstrap CIs and a paired bootstrap (and DeLong for AUC) against the best single
member (highest validation AUC).
"""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING, Any

import numpy as np

from ganlab.errors import ConfigError
from ganlab.io import atomic_write_json
from ganlab.metrics import (
    delong_test,
    metrics_with_ci,
    paired_bootstrap,
    roc_auc,
    youden_threshold,
)
from ganlab.study._layout import StudyLayout
from ganlab.study.experiments._baselines import baseline_name
from ganlab.study.experiments._predictions import RunPredictions, check_aligned, read_predictions
from ganlab.study.pipeline._run_pipeline import load_run

if TYPE_CHECKING:
    import optuna

    from ganlab.config import Config

METHODS = ("soft", "weighted", "stacking")
_EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    return roc_auc(y, p)


def vote_weights(val_probs: np.ndarray, y_val: np.ndarray) -> np.ndarray:
    """Weights of weighted voting: ``max(AUC_val - 0.5, 0)`` per member, normalised."""
    w = np.array([max(_auc(y_val, p) - 0.5, 0.0) for p in val_probs])
    w = np.nan_to_num(w)
    return w / w.sum() if w.sum() > 0 else np.full(len(val_probs), 1 / len(val_probs))


def combine(
    method: str, val_probs: np.ndarray, y_val: np.ndarray, test_probs: np.ndarray, *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Combine members' probabilities ``(members, n)``; fitted on validation only.

    Returns:
        Ensemble probabilities on validation and test, and what was fitted (weights).
    """
    if method == "soft":
        return val_probs.mean(0), test_probs.mean(0), {"weights": [1 / len(val_probs)] *
                                                       len(val_probs)}
    if method == "weighted":
        w = vote_weights(val_probs, y_val)
        return w @ val_probs, w @ test_probs, {"weights": w.tolist()}
    if method == "stacking":
        from sklearn.linear_model import LogisticRegression

        if len(np.unique(y_val)) < 2:
            raise ConfigError("stacking needs both classes in the validation set")
        model = LogisticRegression(C=1.0, max_iter=1000, random_state=seed)
        model.fit(_logit(val_probs).T, y_val)
        return (model.predict_proba(_logit(val_probs).T)[:, 1],
                model.predict_proba(_logit(test_probs).T)[:, 1],
                {"coef": model.coef_[0].tolist(), "intercept": float(model.intercept_[0])})
    raise ConfigError(f"ensemble.methods: unknown method {method!r}; use {', '.join(METHODS)}")


def ensemble_members(cfg: Config, study: optuna.Study | None) -> list[RunPredictions]:
    """Predictions of the top-k completed trials and, if asked, of the baselines."""
    from optuna.trial import TrialState

    assert cfg.ensemble is not None
    layout = StudyLayout.of_config(cfg)
    members: list[RunPredictions] = []
    if study is not None:
        sign = 1 if cfg.study.objectives[0].direction == "maximize" else -1
        done = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                if t.values]
        done.sort(key=lambda t: -sign * t.values[0])
        for t in done:
            if len(members) >= cfg.ensemble.top_k:
                break
            run = load_run(layout.trial_dir(t.number))
            if run and run.get("predictions"):
                members.append(_read(run, f"trial {t.number}"))
    if cfg.ensemble.include_baselines and cfg.baselines is not None:
        for ref in cfg.baselines.models:
            name = baseline_name(ref)
            seed = cfg.baselines.seeds[0]
            run = load_run(layout.baselines / name / f"seed-{seed}")
            if run and run.get("predictions"):
                members.append(_read(run, f"{name} (seed {seed})"))
    return members


def _read(run: dict[str, Any], name: str) -> RunPredictions:
    from pathlib import Path

    thr = ((run.get("classifier_metrics") or {}).get("threshold") or {}).get("value", 0.5)
    return read_predictions(Path(run["predictions"]), name=name, threshold=float(thr))


def build_ensembles(cfg: Config, study: optuna.Study | None) -> dict[str, Any]:
    """Fit every ``ensemble.methods`` on validation, score on test; writes ``ensemble/``."""
    layout = StudyLayout.of_config(cfg)
    assert cfg.ensemble is not None
    members = ensemble_members(cfg, study)
    out: dict[str, Any] = {"members": [m.name for m in members], "methods": {}}
    if len(members) < 2:
        out["note"] = (f"{len(members)} member(s) with stored predictions; an ensemble needs 2 "
                       "(raise ensemble.top_k, run more trials, or include baselines)")
        atomic_write_json(layout.ensemble / "results.json", out)
        return out
    check_aligned(members)
    y_val, y_test = members[0].val.labels, members[0].test.labels
    val = np.stack([m.val.probs for m in members])
    test = np.stack([m.test.probs for m in members])
    val_auc = [_auc(y_val, p) for p in val]
    best = int(np.nanargmax(val_auc))
    best_m = members[best]
    n_boot = cfg.classifier.bootstrap
    out["member_val_auc"] = dict(zip(out["members"], val_auc, strict=True))
    out["best_member"] = {
        "name": best_m.name,
        "test": metrics_with_ci(y_test, best_m.test.probs, threshold=best_m.threshold,
                                n_boot=n_boot, seed=cfg.study.seed),
    }
    rows = [("ids", list(members[0].test.ids)), ("label", y_test.tolist()),
            (best_m.name, best_m.test.probs.tolist())]
    for method in cfg.ensemble.methods:
        p_val, p_test, fitted = combine(method, val, y_val, test, seed=cfg.study.seed)
        thr = youden_threshold(y_val, p_val)
        res = {
            "fitted": fitted,
            "threshold": thr,
            "test": metrics_with_ci(y_test, p_test, threshold=thr, n_boot=n_boot,
                                    seed=cfg.study.seed),
            "vs_best": {m: paired_bootstrap(y_test, p_test, best_m.test.probs, m,
                                            threshold_a=thr, threshold_b=best_m.threshold,
                                            n_boot=n_boot, seed=cfg.study.seed)
                        for m in ("accuracy", "f1", "roc_auc")},
        }
        try:
            res["delong_vs_best"] = delong_test(y_test, p_test, best_m.test.probs)
        except ValueError as exc:
            res["delong_vs_best"] = {"note": str(exc)}
        out["methods"][method] = res
        rows.append((method, p_test.tolist()))
    layout.ensemble.mkdir(parents=True, exist_ok=True)
    with (layout.ensemble / "test_predictions.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([name for name, _ in rows])
        writer.writerows(zip(*(col for _, col in rows), strict=True))
    atomic_write_json(layout.ensemble / "results.json", out)
    return out
