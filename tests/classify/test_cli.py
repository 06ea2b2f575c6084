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


def test_train_records_profile_and_set_overrides(trained, tmp_path) -> None:
    study, _, _ = trained
    result = runner.invoke(app, ["classify", "train", str(study), "--device", "cpu", "--out",
                                 str(tmp_path), "--set", "classifier.epochs=1",
                                 "--set", "classifier.model.width=4"])
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "study-config.json").read_text())
    assert record["overrides"] == [["classifier.epochs", 1], ["classifier.model.width", 4]]
    assert record["config"]["classifier"]["model"] == {"name": "compact_cnn", "width": 4,
                                                       "depth": 2}
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["protocol"]["epochs_run"] == 1


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


def test_eval_tta_option_replaces_the_checkpoint_views(trained, tmp_path) -> None:
    _, run, unseen = trained
    probs = {}
    for views in ("off", "dihedral"):
        result = runner.invoke(app, ["classify", "eval", str(run / "model.pt"), str(unseen),
                                     "--out", str(tmp_path / views), "--device", "cpu",
                                     "--bootstrap", "20", "--tta", views])
        assert result.exit_code == 0, result.output
        metrics = json.loads((tmp_path / views / "metrics.json").read_text())
        assert metrics["protocol"]["tta"] == {"off": False, "dihedral": "dihedral"}[views]
        probs[views] = (tmp_path / views / "predictions.csv").read_text()
    assert probs["off"] != probs["dihedral"]
    bad = runner.invoke(app, ["classify", "eval", str(run / "model.pt"), str(unseen),
                              "--tta", "twelve"])
    assert bad.exit_code == 2 and "twelve" in bad.output


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


def test_eval_scores_the_saved_floor_on_a_new_folder(trained, tmp_path) -> None:
    study, run, unseen = trained
    result = runner.invoke(app, ["classify", "floors", str(study)])
    assert result.exit_code == 0, result.output
    floor = run / "floor_colour_histogram.pt"
    assert f"model: {floor}" in " ".join(result.output.split())
    result = runner.invoke(app, ["classify", "eval", str(floor), str(unseen), "--out",
                                 str(tmp_path), "--device", "cpu", "--bootstrap", "20"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["protocol"]["n"] == 16
    assert metrics["test"]["roc_auc"]["value"] > 0.8  # the red square is a colour cue
    assert_recomputes(tmp_path)
    result = runner.invoke(app, ["classify", "predict", str(floor),
                                 str(unseen / "malignant" / "0.png")])
    assert result.exit_code == 0 and "malignant" in result.output, result.output


def _bad_checkpoints(run: Path, tmp: Path, gan_checkpoint: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, what the one-line message must say)."""
    good = (run / "model.pt").read_bytes()
    files = {
        "text": (b"not a checkpoint\n", "it is not a PyTorch checkpoint file"),
        "image": ((run / "roc.png").read_bytes(), "it is not a PyTorch checkpoint file"),
        "empty": (b"", "the file is empty"),
        "truncated": (good[: len(good) // 2], "the file is truncated or corrupt"),
        "pickle": (b"\x80\x04\x95\x1d\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x94\x8c"
                   b"\x05print\x94\x93\x94\x8c\x05pwned\x94\x85\x94R\x94.",
                   "it is not a PyTorch checkpoint file"),
    }
    out = {}
    for name, (data, message) in files.items():
        path = tmp / f"{name}.pt"
        path.write_bytes(data)
        out[name] = (path, f"{path}: cannot be read as a classifier checkpoint: {message}")
    torch.save({"x": print}, tmp / "code.pt")  # a global: refused by weights_only loading
    out["code"] = (tmp / "code.pt", "it holds arbitrary Python objects, which ganlab never "
                   "saves; refused, since loading it could run code")
    out["gan"] = (gan_checkpoint, f"{gan_checkpoint}: not a ganlab classifier checkpoint "
                  "(it is a GAN checkpoint): it lacks the key 'classifier'")
    other = torch.load(run / "model.pt", weights_only=True)
    other["meta"]["classifier"] = {"name": "compact_cnn", "width": 16, "depth": 2}
    torch.save(other, tmp / "other.pt")
    out["other model"] = (tmp / "other.pt", f"{tmp / 'other.pt'}: its weights do not fit "
                          "classifier 'compact_cnn' {'width': 16, 'depth': 2}")
    bare = torch.load(run / "model.pt", weights_only=True)
    del bare["meta"]["threshold"]
    torch.save(bare, tmp / "bare.pt")
    out["no threshold"] = (tmp / "bare.pt", f"{tmp / 'bare.pt'}: a classifier checkpoint "
                           "without threshold, so new images cannot be preprocessed")
    return out


def test_bad_checkpoints_are_one_line_naming_the_file(trained, tmp_path, gan_checkpoint) -> None:
    """eval and predict on a corrupt, truncated, foreign or non-checkpoint file."""
    _, run, unseen = trained
    image = str(unseen / "benign" / "0.png")
    for name, (path, message) in _bad_checkpoints(run, tmp_path, gan_checkpoint).items():
        for args in (["eval", str(path), str(unseen)], ["predict", str(path), image]):
            result = runner.invoke(app, ["classify", *args, "--device", "cpu"])
            assert result.exit_code == 1, (name, result.output)
            text = " ".join(result.output.split())
            assert "Traceback" not in result.output, name
            assert isinstance(result.exception, SystemExit), (name, result.exception)
            assert text.startswith("error: ") and text.count("error:") == 1, (name, text)
            assert message in text, (name, text)


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
