"""train_classifier: outputs, early stopping, thresholds, determinism, reporting, errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import optuna
import pytest
import torch

from ganlab.classify import MONITORS, load_classifier, train_classifier
from ganlab.classify._loop import positive_probability, predict_logits
from ganlab.config import PluginRef
from ganlab.errors import ConfigError, DataError
from ganlab.metrics import METRICS

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def trained(tmp_path_factory, make_cfg, make_data):
    """One default run shared by the read-only tests of this module."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    tmp = tmp_path_factory.mktemp("trained")
    data = make_data(tmp)
    result = train_classifier(make_cfg(epochs=3), data, out_dir=tmp / "run", device=CPU, seed=0)
    torch.set_num_threads(before)
    return data, result


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


def test_outputs_follow_the_documented_layout(trained) -> None:
    _, result = trained
    on_disk = json.loads((result.checkpoint.parent / "metrics.json").read_text())
    assert {"protocol", "threshold", "val", "test", "confusion_matrix"} <= set(on_disk)
    assert set(on_disk["threshold"]) >= {"method", "value"}
    for split in ("val", "test"):
        assert set(on_disk[split]) == set(METRICS)
        for entry in on_disk[split].values():
            assert set(entry) == {"value", "ci_low", "ci_high"}
            assert entry["ci_low"] <= entry["value"] + 1e-6 <= entry["ci_high"] + 2e-6
        (tn, fp), (fn, tp) = on_disk["confusion_matrix"][split]
        assert tn + fp + fn + tp == 32
    rows = _rows(result.predictions)
    assert list(rows[0]) == ["sample_id", "path", "label", "prob_positive", "split"]
    assert [r["split"] for r in rows].count("val") == 32
    assert [r["split"] for r in rows].count("test") == 32
    assert {p.name for p in result.plots} == {"roc.png", "confusion_test.png",
                                              "training_curves.png"}
    assert all(p.stat().st_size > 1000 for p in result.plots)
    # the red square is easy: the model must learn it
    assert on_disk["test"]["roc_auc"]["value"] > 0.9


def test_metrics_recomputed_from_predictions_match(trained) -> None:
    from sklearn.metrics import roc_auc_score

    _, result = trained
    test = [r for r in _rows(result.predictions) if r["split"] == "test"]
    y = [int(r["label"]) for r in test]
    prob = [float(r["prob_positive"]) for r in test]
    assert roc_auc_score(y, prob) == pytest.approx(result.metrics["test"]["roc_auc"]["value"],
                                                   abs=1e-3)
    thr = result.metrics["threshold"]["value"]
    acc = np.mean((np.array(prob) >= thr) == np.array(y))
    assert acc == pytest.approx(result.metrics["test"]["accuracy"]["value"], abs=1e-6)


def test_seeded_runs_are_identical_and_seeds_differ(make_cfg, make_data, tmp_path: Path) -> None:
    cfg = make_cfg(epochs=1, augment=True)
    from ganlab.data import build_augmentation

    augment = build_augmentation([PluginRef("hflip"), PluginRef("rotation")])
    runs = [train_classifier(cfg, make_data(tmp_path), out_dir=tmp_path / str(i), device=CPU,
                             seed=s, augment=augment) for i, s in enumerate((3, 3, 4))]
    assert runs[0].history[-1]["train_loss"] == runs[1].history[-1]["train_loss"]
    assert runs[0].metrics["test"] == runs[1].metrics["test"]
    assert runs[0].history[-1]["train_loss"] != runs[2].history[-1]["train_loss"]


def _run_amp(result) -> torch.dtype | None:
    """The autocast dtype a run scored in, as its protocol records it (bf16 on a bf16 CPU)."""
    return torch.bfloat16 if result.metrics["protocol"]["precision"]["amp"] == "bf16" else None


def test_early_stopping_restores_the_best_epoch(make_cfg, data, tmp_path: Path) -> None:
    cfg = make_cfg(epochs=6, patience=1, monitor="loss",
                   optimizer=PluginRef("adam", {"lr": 0.03}))
    result = train_classifier(cfg, data, out_dir=tmp_path, device=CPU, seed=0)
    history = result.history
    best = min(range(len(history)), key=lambda i: history[i]["val_loss"])
    assert result.metrics["protocol"]["best_epoch"] == history[best]["epoch"]
    assert len(history) <= 6
    if len(history) < 6:  # stopped early: exactly `patience` epochs without improvement
        assert len(history) - 1 - best == 1
    model, _ = load_classifier(result.checkpoint)
    logits = predict_logits(model, data.val.images, device=CPU, amp_dtype=_run_amp(result))
    val_loss = float(torch.nn.functional.cross_entropy(logits, data.val.labels))
    assert val_loss == pytest.approx(history[best]["val_loss"], rel=1e-4)


def test_report_gets_the_monitor_and_pruning_propagates(make_cfg, data, tmp_path: Path) -> None:
    seen: list[tuple[int, dict]] = []

    def report(epoch: int, metrics: dict) -> None:
        seen.append((epoch, metrics))
        if epoch == 2:
            raise optuna.TrialPruned()

    with pytest.raises(optuna.TrialPruned):
        train_classifier(make_cfg(epochs=5, monitor="f1"), data, out_dir=tmp_path, device=CPU,
                         seed=0, report=report)
    assert [e for e, _ in seen] == [1, 2]
    assert "val_f1" in seen[0][1] and 0.0 <= seen[0][1]["val_f1"] <= 1.0


def test_fixed_threshold_is_recorded_and_applied(make_cfg, data, tmp_path: Path) -> None:
    result = train_classifier(make_cfg(threshold="fixed", fixed_threshold=0.8, tta=True), data,
                              out_dir=tmp_path, device=CPU, seed=0)
    assert result.metrics["threshold"] == {"method": "fixed", "value": 0.8}
    _, meta = load_classifier(result.checkpoint)
    assert meta["threshold"]["value"] == 0.8 and meta["tta"] is True
    test = [r for r in _rows(result.predictions) if r["split"] == "test"]
    tp = sum(int(r["label"]) == 1 and float(r["prob_positive"]) >= 0.8 for r in test)
    assert result.metrics["confusion_matrix"]["test"][1][1] == tp


@pytest.mark.parametrize("weighting", ["balanced", "sampler"])
def test_class_weighting_options(make_cfg, make_data, weighting: str, tmp_path: Path) -> None:
    data = make_data(tmp_path)
    keep = torch.cat([torch.arange(0, 64, 2), torch.arange(1, 16, 2)])  # 32 negatives, 8 pos.
    t = data.train
    data.train = type(t)(t.images[keep], t.labels[keep], [t.paths[i] for i in keep],
                         [t.ids[i] for i in keep], t.class_names)
    result = train_classifier(make_cfg(class_weighting=weighting, epochs=4), data,
                              out_dir=tmp_path, device=CPU, seed=0)
    assert result.metrics["protocol"]["class_weighting"] == weighting
    assert result.metrics["test"]["recall"]["value"] > 0.5


def test_tta_averages_flips(trained) -> None:
    data, result = trained
    model, _ = load_classifier(result.checkpoint)
    x = data.test.images
    plain = positive_probability(predict_logits(model, x, device=CPU))
    flips = [positive_probability(predict_logits(model, v, device=CPU))
             for v in (x, x.flip(3), x.flip(2))]
    tta = positive_probability(predict_logits(model, x, device=CPU, tta=True))
    np.testing.assert_allclose(tta, np.mean(flips, axis=0), atol=1e-5)
    assert not np.allclose(tta, plain)
    named = positive_probability(predict_logits(model, x, device=CPU, tta="flips"))
    np.testing.assert_array_equal(named, tta)


def test_dihedral_tta_averages_the_eight_symmetries(trained) -> None:
    data, result = trained
    model, _ = load_classifier(result.checkpoint)
    x = data.test.images
    turns = [torch.rot90(x, k, dims=(2, 3)) for k in range(4)]
    views = turns + [t.flip(3) for t in turns]
    each = [positive_probability(predict_logits(model, v, device=CPU)) for v in views]
    tta = positive_probability(predict_logits(model, x, device=CPU, tta="dihedral"))
    np.testing.assert_allclose(tta, np.mean(each, axis=0), atol=1e-5)
    rotated = positive_probability(predict_logits(model, x.rot90(1, dims=(2, 3)), device=CPU,
                                                  tta="dihedral"))
    np.testing.assert_allclose(rotated, tta, atol=1e-5)  # invariant to the group's own moves


def test_dihedral_tta_is_saved_and_used_by_eval(make_cfg, data, tmp_path: Path) -> None:
    result = train_classifier(make_cfg(epochs=1, tta="dihedral"), data, out_dir=tmp_path,
                              device=CPU, seed=0)
    _, meta = load_classifier(result.checkpoint)
    assert meta["tta"] == "dihedral" and result.metrics["protocol"]["tta"] == "dihedral"


def test_checkpoint_reloads_with_filters(trained) -> None:
    data, result = trained
    raw = torch.load(result.checkpoint, weights_only=True)
    assert raw["meta"]["filters"] == [{"name": "resize", "size": 16}]
    model, meta = load_classifier(result.checkpoint)
    assert meta["class_names"] == ["benign", "malignant"] and meta["image_size"] == 16
    prob = positive_probability(predict_logits(model, data.val.images, device=CPU,
                                               amp_dtype=_run_amp(result)))
    csv_prob = [float(r["prob_positive"]) for r in _rows(result.predictions)
                if r["split"] == "val"]
    np.testing.assert_allclose(prob, csv_prob, atol=1e-5)


def test_bad_monitor_and_empty_split_are_user_errors(make_cfg, data, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="classifier.monitor.*roc_auc"):
        train_classifier(make_cfg(monitor="auc"), data, out_dir=tmp_path, device=CPU, seed=0)
    t = data.test
    data.test = type(t)(t.images[:0], t.labels[:0], [], [], t.class_names)
    with pytest.raises(DataError, match="test split is empty"):
        train_classifier(make_cfg(), data, out_dir=tmp_path, device=CPU, seed=0)
    assert set(MONITORS) == {*METRICS, "loss"}
