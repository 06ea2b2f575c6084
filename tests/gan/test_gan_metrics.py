"""`ganlab gan metrics`: per-class PRDC, classifier-feature FD and TSTR end to end on tiny data."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ganlab.cli import app

runner = CliRunner()

STUDY = """
[study]
name = "tinymetrics"
output = "{out}"
device = "cpu"

[data]
root = "synthetic"
synth = {{ n = 64, image_size = 32 }}
image_size = 16
augmentations = [{{ name = "hflip" }}]

[gan]
generator = {{ name = "dcgan", ngf = 8 }}
discriminator = {{ name = "dcgan", ndf = 8 }}
nz = 16
batch_size = 8
epochs = 1

[gan.metrics]
n_per_class = 200
k = 3
feature_epochs = 1
tstr_epochs = 1
feature_classifier = {{ name = "compact_cnn", width = 8, depth = 2 }}
tstr_classifier = {{ name = "compact_cnn", width = 8, depth = 2 }}

[classifier]
batch_size = 16
bootstrap = 50
augment = true  # TSTR and its TRTR reference train with data.augmentations
"""


@pytest.mark.slow
def test_metrics_cli_writes_every_figure_with_its_protocol(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("GANLAB_INCEPTION_WEIGHTS", raising=False)
    study = tmp_path / "tiny.toml"
    study.write_text(STUDY.format(out=tmp_path / "runs"))
    trained = runner.invoke(app, ["gan", "train", str(study)])
    assert trained.exit_code == 0, trained.output
    # said once, when training starts (the closing summary repeats the skip reason)
    assert trained.output.count("note: no Inception weights") == 1
    assert trained.output.index("note: no Inception") < trained.output.index("epoch 1/1")
    ckpt = tmp_path / "runs" / "tinymetrics" / "gan" / "checkpoint.pt"
    result = runner.invoke(app, ["gan", "metrics", str(ckpt), "--study", str(study)])
    assert result.exit_code == 0, result.output
    assert result.output.count("no Inception weights") == 1
    assert result.output.startswith("note: no Inception weights")  # said once, at the start
    saved = json.loads((ckpt.parent / "metrics" / "gan_metrics.json").read_text())
    proto = saved["protocol"]
    assert proto["k"] == 3 and len(proto["weights_sha256"]) == 64
    assert proto["backbone"].startswith("ganlab classifier")
    n = proto["n_fake_per_class"]
    assert n == proto["n_real_per_class"] and set(n) == {"benign", "malignant"}
    for name in ("benign", "malignant"):
        scores = saved["per_class"][name]
        assert 0.0 <= scores["precision"] <= 1.0 and 0.0 <= scores["coverage"] <= 1.0
        assert scores["n_fake"] == n[name]
    flat = saved["flat"]
    assert 0.0 <= flat["tstr_roc_auc"] <= 1.0 and 0.0 <= flat["tstr_accuracy"] <= 1.0
    assert {"precision", "recall", "density", "coverage", "fd_classifier",
            "coverage.malignant", "diversity_ratio.benign"} <= set(flat)
    assert "synthetic images only" in saved["tstr"]["protocol"]["trained_on"]
    # TSTR's reference: the same recipe trained on the real train side, scored on the same test
    trtr = saved["tstr"]["trtr"]
    assert trtr["trained_on"].endswith("real train images")
    assert flat["trtr_roc_auc"] == trtr["test"]["roc_auc"]["value"]
    assert "TRTR" in result.output
    assert "skipped" in saved["inception"]
    assert "TSTR" in result.output
    # the feature net is trained once per study and data split: a second run reuses it
    again = runner.invoke(app, ["gan", "metrics", str(ckpt), "--study", str(study), "--no-tstr",
                                "--out", str(tmp_path / "again")])
    assert again.exit_code == 0, again.output
    second = json.loads((tmp_path / "again" / "gan_metrics.json").read_text())
    assert second["protocol"]["weights_sha256"] == proto["weights_sha256"]
    assert second["per_class"] == saved["per_class"] and "tstr" not in second
    # another run seed is measured with the same feature network (gan.metrics.feature_seed)
    other = runner.invoke(app, ["gan", "metrics", str(ckpt), "--study", str(study), "--no-tstr",
                                "--set", "study.seed=3", "--out", str(tmp_path / "seed3")])
    assert other.exit_code == 0, other.output
    third = json.loads((tmp_path / "seed3" / "gan_metrics.json").read_text())
    assert third["protocol"]["weights_sha256"] == proto["weights_sha256"]
    assert third["protocol"]["seed"] == 3 and third["protocol"]["feature_seed"] == 0
    # TSTR on a synthetic set drawn afresh every epoch: the feature net and the TRTR reference
    # (real images only) are the cached ones, the protocol says how TSTR was trained
    fresh = runner.invoke(app, ["gan", "metrics", str(ckpt), "--study", str(study), "--set",
                                'classifier.synthetic_refresh="epoch"', "--out",
                                str(tmp_path / "fresh")])
    assert fresh.exit_code == 0, fresh.output
    refreshed = json.loads((tmp_path / "fresh" / "gan_metrics.json").read_text())
    assert refreshed["protocol"]["weights_sha256"] == proto["weights_sha256"]
    assert refreshed["tstr"]["trtr"]["checkpoint"] == trtr["checkpoint"]
    assert refreshed["tstr"]["protocol"]["synthetic_refresh"] == "epoch"
    assert "drawn afresh every epoch" in refreshed["tstr"]["protocol"]["trained_on"]
    assert saved["tstr"]["protocol"]["synthetic_refresh"] == "once"
