"""The final model: a refit on train + validation, and the k-fold ensemble, on tiny data."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from ganlab.classify import load_classifier, refit_classifier, train_classifier
from ganlab.cli import app
from ganlab.errors import ConfigError

CPU = torch.device("cpu")
runner = CliRunner()


def _test_probs(predictions: Path) -> dict[str, float]:
    with open(predictions, newline="") as f:
        return {r["sample_id"]: float(r["prob_positive"]) for r in csv.DictReader(f)
                if r["split"] == "test"}


def test_refit_trains_train_plus_val_for_the_best_epochs(make_cfg, data, tmp_path: Path) -> None:
    cfg = make_cfg(epochs=4, patience=2)
    base = train_classifier(cfg, data, out_dir=tmp_path / "run", device=CPU, seed=0)
    best = base.metrics["protocol"]["best_epoch"]
    refit = refit_classifier(cfg, data, run_dir=tmp_path / "run", out_dir=tmp_path / "run" /
                             "refit", device=CPU, seed=0)
    proto = refit.metrics["protocol"]
    assert proto["refit"]["best_epoch"] == best and proto["epochs_run"] == best
    assert proto["n_train_real"] == len(data.train) + len(data.val)
    assert refit.metrics["threshold"]["value"] == base.metrics["threshold"]["value"]
    assert refit.metrics["threshold"]["method"] == base.metrics["threshold"]["method"]
    a, b = _test_probs(base.predictions), _test_probs(refit.predictions)
    assert a.keys() == b.keys() and a != b  # the same test images, another model
    _, meta = load_classifier(refit.checkpoint)
    assert meta["threshold"]["value"] == base.metrics["threshold"]["value"]


def test_refit_needs_a_validated_run(make_cfg, data, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no validation figures to refit from") as err:
        refit_classifier(make_cfg(), data, run_dir=tmp_path, out_dir=tmp_path / "refit",
                         device=CPU, seed=0)
    assert err.value.paths == ("refit",)
    train_classifier(make_cfg(epochs=1), data, out_dir=tmp_path / "run", device=CPU, seed=0)
    refit_classifier(make_cfg(epochs=1), data, run_dir=tmp_path / "run",
                     out_dir=tmp_path / "run" / "refit", device=CPU, seed=0)
    with pytest.raises(ConfigError, match="no validation figures"):  # a refit is no base
        refit_classifier(make_cfg(), data, run_dir=tmp_path / "run" / "refit",
                         out_dir=tmp_path / "again", device=CPU, seed=0)


STUDY = """
[study]
name = "final"
output = "{out}"
device = "cpu"

[data]
root = "{root}"
synth = {{n = 60, image_size = 20, seed = 0}}
image_size = 16
filters = [{{name = "resize", size = 16}}]
split = {{folds = {folds}, test = 0.2}}

[classifier]
model = {{name = "compact_cnn", width = 8, depth = 2}}
epochs = 2
patience = 0
batch_size = 16
bootstrap = 20
augment = false
"""


def _study(tmp_path: Path, folds: int) -> Path:
    path = tmp_path / "final.toml"
    path.write_text(STUDY.format(out=tmp_path / "runs", root=tmp_path / "synth", folds=folds))
    return path


def test_fold_ensemble_from_the_cli_and_eval_loads_it(tmp_path: Path) -> None:
    out = tmp_path / "ens"
    result = runner.invoke(app, ["classify", "train", str(_study(tmp_path, 3)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "average of 3 fold models" in " ".join(result.output.split())
    metrics = json.loads((out / "metrics.json").read_text())
    ens = metrics["protocol"]["ensemble"]
    assert ens["folds"] == 3 and ens["val"] == "out-of-fold"
    member_val = []
    members = []
    for k in range(3):
        with open(out / f"fold-{k}" / "predictions.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        member_val += [r["sample_id"] for r in rows if r["split"] == "val"]
        members.append(_test_probs(out / f"fold-{k}" / "predictions.csv"))
    assert len(member_val) == len(set(member_val))  # every train+val image validated once
    assert sum(map(sum, metrics["confusion_matrix"]["val"])) == len(member_val)
    averaged = _test_probs(out / "predictions.csv")
    for sid, p in averaged.items():
        assert p == pytest.approx(np.mean([m[sid] for m in members]), abs=1e-5)
    model, meta = load_classifier(out / "model.pt")  # like any other classifier
    assert meta["kind"] == "ensemble:folds" and len(meta["members"]) == 3
    assert model(torch.zeros(2, 3, 16, 16)).shape == (2, 2)
    scored = runner.invoke(app, ["classify", "eval", str(out / "model.pt"),
                                 str(tmp_path / "synth"), "--out", str(tmp_path / "eval"),
                                 "--bootstrap", "20"])
    assert scored.exit_code == 0, scored.output


def test_cli_refit_and_its_bad_input(tmp_path: Path) -> None:
    study = _study(tmp_path, 0)
    out = tmp_path / "single"
    missing = runner.invoke(app, ["classify", "train", str(study), "--out", str(out), "--refit"])
    assert missing.exit_code == 1
    assert len(missing.output.strip().splitlines()) == 1, missing.output
    assert "--refit" in missing.output and "no validation figures to refit from" in missing.output
    assert runner.invoke(app, ["classify", "train", str(study), "--out", str(out)]).exit_code == 0
    done = runner.invoke(app, ["classify", "train", str(study), "--out", str(out), "--refit"])
    assert done.exit_code == 0, done.output
    assert "refit on train + val" in " ".join(done.output.split())
    assert (out / "refit" / "model.pt").is_file()
    folds = runner.invoke(app, ["classify", "train", str(_study(tmp_path, 3)), "--refit"])
    assert folds.exit_code == 1 and "data.split.folds >= 2" in folds.output
    one = runner.invoke(app, ["config", "check", str(_study(tmp_path, 1))])
    assert one.exit_code == 1 and len(one.output.strip().splitlines()) == 1
    assert "data.split.folds: 1 is no cross-validation" in one.output


def test_the_study_option_trains_then_refits(tmp_path: Path) -> None:
    out = tmp_path / "both"
    result = runner.invoke(app, ["classify", "train", str(_study(tmp_path, 0)), "--out", str(out),
                                 "--set", "classifier.refit=true"])
    assert result.exit_code == 0, result.output
    base = json.loads((out / "metrics.json").read_text())
    refit = json.loads((out / "refit" / "metrics.json").read_text())
    assert refit["protocol"]["refit"]["best_epoch"] == base["protocol"]["best_epoch"]


def test_a_study_with_folds_scores_each_trial_by_its_fold_ensemble(tmp_path: Path) -> None:
    study = _study(tmp_path, 2)
    study.write_text(study.read_text().replace('device = "cpu"', 'device = "cpu"\nn_trials = 1')
                     + '\n[search]\n"classifier.optimizer.lr" = {type = "float", low = 1e-3, '
                     'high = 1e-2, log = true}\n')
    result = runner.invoke(app, ["study", "run", str(study), "--log-format", "plain"])
    assert result.exit_code == 0, result.output
    trial = tmp_path / "runs" / "final" / "trials" / "0000"
    metrics = json.loads((trial / "classifier" / "metrics.json").read_text())
    assert metrics["protocol"]["ensemble"]["val"] == "out-of-fold"  # the objective: CV, not fold 0
    assert sorted(p.name for p in (trial / "classifier").glob("fold-*")) == ["fold-0", "fold-1"]
    val_n = sum(map(sum, metrics["confusion_matrix"]["val"]))
    assert val_n == 48  # every train+val image of the 60 (test = 0.2) validated once
    objective = json.loads((trial / "metrics.json").read_text())["val.roc_auc"]
    assert objective == pytest.approx(metrics["val"]["roc_auc"]["value"])

    refit = runner.invoke(app, ["study", "run", str(study), "--set", "classifier.refit=true"])
    assert refit.exit_code == 1 and "Traceback" not in refit.output
    assert "classifier.refit and data.split.folds >= 2" in " ".join(refit.output.split())
