"""`ganlab classify train --resume` and `classifier.image_size` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from ganlab.cli import app

runner = CliRunner()

STUDY = """
[study]
name = "tiny"
output = "{out}"
device = "cpu"

[data]
root = "{root}"
image_size = 16
filters = []
augmentations = [{{name = "hflip"}}, {{name = "rot90"}}]
workers = 1
split = {{val = 0.25, test = 0.25, group_near_duplicates = false}}

[gan]
enabled = false

[classifier]
model = {{name = "compact_cnn", width = 8, depth = 2}}
optimizer = {{name = "adamw", lr = 0.003, betas = [0.9, 0.999]}}
epochs = 2
batch_size = 16
bootstrap = 50
image_size = 24
schedule = "cosine"
warmup_epochs = 1.0
ema_decay = 0.9
"""


def _write_folder(root: Path, n: int) -> None:
    rng = np.random.default_rng(0)
    for cls in ("benign", "malignant"):
        (root / cls).mkdir(parents=True)
        for i in range(n):
            img = rng.integers(60, 140, (32, 32, 3)).astype(np.uint8)
            if cls == "malignant":
                img[8:24, 8:24, 0] = 230
            Image.fromarray(img).save(root / cls / f"{i}.png")


@pytest.mark.slow  # CLI end to end; fast: tests/classify/test_classifier_trainer.py resume tests
def test_resume_continues_and_image_size_sets_the_input(tmp_path: Path, one_torch_thread) -> None:
    _write_folder(tmp_path / "images", 16)
    study = tmp_path / "tiny.toml"
    study.write_text(STUDY.format(out=tmp_path / "runs", root=tmp_path / "images"))
    first = runner.invoke(app, ["classify", "train", str(study)])
    assert first.exit_code == 0, first.output
    assert "epoch 2/2: train_loss" in first.output
    run = tmp_path / "runs" / "tiny" / "classify"
    meta = torch.load(run / "model.pt", weights_only=True)["meta"]
    assert meta["image_size"] == 24  # classifier.image_size, not data.image_size
    again = runner.invoke(app, ["classify", "train", str(study), "--resume"])
    assert again.exit_code == 0, again.output
    assert "resumed after epoch 2" in again.output and "epoch 1/2" not in again.output
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["protocol"]["recipe"]["schedule"] == "cosine"
    (run / "checkpoint.pt").write_bytes(b"garbage")
    bad = runner.invoke(app, ["classify", "train", str(study), "--resume"])
    assert bad.exit_code == 1, bad.output
    assert "cannot be read as a classifier training checkpoint" in bad.output
    assert "start over without resuming" in bad.output
    assert "Traceback" not in bad.output
