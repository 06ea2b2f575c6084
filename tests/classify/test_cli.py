"""`ganlab classify train | eval | predict | floors` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from test_predictions_exact import assert_recomputes
from typer.testing import CliRunner

from ganlab.cli import app

runner = CliRunner()


def _write_folder(root: Path, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for cls in ("benign", "malignant"):
        (root / cls).mkdir(parents=True)
        for i in range(n):
            img = rng.integers(60, 140, (24, 24, 3)).astype(np.uint8)
            if cls == "malignant":
                img[6:18, 6:18, 0] = 230
            Image.fromarray(img).save(root / cls / f"{i}.png")


STUDY = """
[study]
name = "tiny"
output = "{out}"
seed = 0
device = "cpu"

[data]
root = "{root}"
image_size = 16
filters = [{{name = "resize", size = 16}}]
workers = 1

[data.split]
val = 0.25
test = 0.25
group_near_duplicates = false

[gan]
enabled = false

[classifier]
model = {{name = "compact_cnn", width = 8, depth = 2}}
optimizer = {{name = "adam", lr = 0.003}}
epochs = 3
batch_size = 16
bootstrap = 100
augment = false
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(study file, run folder, unseen image folder) after `ganlab classify train`."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    tmp = tmp_path_factory.mktemp("cli")
    _write_folder(tmp / "images", 24, 0)
    _write_folder(tmp / "unseen", 8, 1)
    study = tmp / "tiny.toml"
    study.write_text(STUDY.format(out=tmp / "runs", root=tmp / "images"))
    result = runner.invoke(app, ["classify", "train", str(study), "--device", "cpu"])
    torch.set_num_threads(before)
    assert result.exit_code == 0, result.output
    assert "roc_auc" in result.output and "threshold: youden" in result.output
    return study, tmp / "runs" / "tiny" / "classify", tmp / "unseen"


def test_train_writes_every_output(trained) -> None:
    _, run, _ = trained
    for name in ("model.pt", "metrics.json", "predictions.csv", "roc.png",
                 "confusion_test.png", "training_curves.png"):
        assert (run / name).is_file(), name
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["protocol"]["data"]["filters"][0]["name"] == "resize"


def test_eval_scores_an_unseen_folder_with_the_training_filters(trained, tmp_path) -> None:
    _, run, unseen = trained
    result = runner.invoke(app, ["classify", "eval", str(run / "model.pt"), str(unseen),
                                 "--out", str(tmp_path), "--device", "cpu",
                                 "--bootstrap", "50"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["protocol"]["n"] == 16
    assert metrics["test"]["roc_auc"]["value"] > 0.8
    rows = (tmp_path / "predictions.csv").read_text().splitlines()
    assert len(rows) == 17 and rows[1].endswith(",test")


def test_every_metric_recomputes_from_predictions_csv(trained, tmp_path) -> None:
    """metrics.json of `classify train` and of `classify eval`, with scikit-learn."""
    _, run, unseen = trained
    assert_recomputes(run)
    result = runner.invoke(app, ["classify", "eval", str(run / "model.pt"), str(unseen),
                                 "--out", str(tmp_path), "--device", "cpu",
                                 "--bootstrap", "20"])
    assert result.exit_code == 0, result.output
    assert_recomputes(tmp_path)


def test_predict_prints_each_image(trained) -> None:
    _, run, unseen = trained
    images = [str(unseen / "malignant" / "0.png"), str(unseen / "benign" / "0.png")]
    result = runner.invoke(app, ["classify", "predict", str(run / "model.pt"), *images,
                                 "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert "malignant" in result.output and "0.png" in result.output


def test_floors_command(trained) -> None:
    study, run, _ = trained
    result = runner.invoke(app, ["classify", "floors", str(study)])
    assert result.exit_code == 0, result.output
    assert "floor: majority" in result.output and "floor: colour_histogram" in result.output
    assert (run / "floors.json").is_file()


def test_user_errors_exit_1_without_traceback(trained, tmp_path) -> None:
    study, run, unseen = trained
    cases = [
        (["classify", "eval", str(tmp_path / "none.pt"), str(unseen)], "no such classifier"),
        (["classify", "predict", str(run / "model.pt"), str(tmp_path / "x.png")],
         "no such image"),
        (["classify", "train", str(study), "--profile", "gpu"], "no profile"),
    ]
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 1, result.output
        assert message in result.output and "Traceback" not in result.output
