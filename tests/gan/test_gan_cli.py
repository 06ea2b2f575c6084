"""`ganlab gan train | sample | fid` through Typer's CliRunner."""

from __future__ import annotations

import pytest
import torch
from typer.testing import CliRunner

from ganlab.cli import app
from ganlab.gan import train_gan

runner = CliRunner()

STUDY = """
[study]
name = "tiny"
output = "{out}"
device = "cpu"

[data]
root = "synthetic"
synth = {{ n = 48, image_size = 32 }}
image_size = 16
augmentations = [{{ name = "hflip" }}]

[gan]
generator = {{ name = "dcgan", ngf = 8 }}
discriminator = {{ name = "dcgan", ndf = 8 }}
nz = 16
batch_size = 8
epochs = 3
sample_every = 2
fid = {{ enabled = false }}
"""


@pytest.fixture
def checkpoint(make_cfg, train_set, tmp_path):
    return train_gan(make_cfg(epochs=1), train_set, out_dir=tmp_path / "gan",
                     device=torch.device("cpu"), seed=0).checkpoint


def test_train_resume_and_sample_from_a_study_file(tmp_path) -> None:
    study = tmp_path / "tiny.toml"
    study.write_text(STUDY.format(out=tmp_path / "runs"))
    first = runner.invoke(app, ["gan", "train", str(study), "--epochs", "1"])
    assert first.exit_code == 0, first.output
    ckpt = tmp_path / "runs" / "tiny" / "gan" / "checkpoint.pt"
    assert torch.load(ckpt, weights_only=True)["epoch"] == 1
    second = runner.invoke(app, ["gan", "train", str(study)])  # resumes to gan.epochs = 3
    assert second.exit_code == 0, second.output
    state = torch.load(ckpt, weights_only=True)
    assert state["epoch"] == 3 and [h["epoch"] for h in state["history"]] == [1, 2, 3]
    assert "3 epochs" in second.output
    precision = state["precision"]  # amp = "auto": what this machine's CPU runs natively
    assert f"on cpu in {precision['amp']} ({precision['reason']})" in " ".join(
        second.output.split())
    # output not a terminal (a log file): one plain line per epoch trained now
    epoch_lines = [ln for ln in second.output.splitlines() if " gan epoch " in ln]
    assert [ln.split(" gan epoch ")[1].split()[0] for ln in epoch_lines] == ["2/3", "3/3"]
    assert all("d_loss=" in ln and "g_loss=" in ln for ln in epoch_lines)
    grids = sorted(p.name for p in (ckpt.parent / "samples").glob("*.png"))
    assert grids == ["epoch_0001.png", "epoch_0002.png", "epoch_0003.png"]


def test_sample_writes_each_class(checkpoint, tmp_path) -> None:
    result = runner.invoke(app, ["gan", "sample", str(checkpoint), "-n", "3", "--out",
                                 str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "s" / "benign").glob("*.png"))) == 3
    assert len(list((tmp_path / "s" / "malignant").glob("*.png"))) == 3
    only = runner.invoke(app, ["gan", "sample", str(checkpoint), "-n", "2", "--label",
                               "malignant", "--out", str(tmp_path / "m")])
    assert only.exit_code == 0, only.output
    assert [p.name for p in (tmp_path / "m").iterdir()] == ["malignant"]


def test_sample_rejects_an_unknown_label(checkpoint, tmp_path) -> None:
    result = runner.invoke(app, ["gan", "sample", str(checkpoint), "--label", "nevus",
                                 "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "not a class" in result.output and "benign, malignant" in result.output
    assert "Traceback" not in result.output


def test_sample_of_a_missing_checkpoint_is_a_user_error(tmp_path) -> None:
    result = runner.invoke(app, ["gan", "sample", str(tmp_path / "nope.pt")])
    assert result.exit_code == 1 and "no such GAN checkpoint" in result.output


def test_fid_without_weights_says_how_to_get_them(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("GANLAB_INCEPTION_WEIGHTS", raising=False)
    result = runner.invoke(app, ["gan", "fid", str(tmp_path), str(tmp_path)])
    assert result.exit_code == 1
    assert "inception-2015-12-05.pt" in result.output and "--backbone classifier" in result.output


def test_fid_with_a_classifier_backbone_is_labelled_not_comparable(checkpoint, tmp_path) -> None:
    import json

    from ganlab.classify import save_classifier
    from ganlab.gan import save_images
    from ganlab.registry import CLASSIFIERS

    model = CLASSIFIERS.create("compact_cnn", num_classes=2, image_size=16, channels=3)
    clf = save_classifier(tmp_path / "model.pt", model, {
        "classifier": {"name": "compact_cnn"}, "num_classes": 2, "image_size": 16,
        "channels": 3, "class_names": ["benign", "malignant"],
    })
    real = torch.randint(0, 256, (12, 3, 16, 16), dtype=torch.uint8,
                         generator=torch.Generator().manual_seed(0))
    save_images(real, tmp_path / "real")
    sampled = runner.invoke(app, ["gan", "sample", str(checkpoint), "-n", "6", "--out",
                                  str(tmp_path / "fake")])
    assert sampled.exit_code == 0, sampled.output
    result = runner.invoke(app, [
        "gan", "fid", str(tmp_path / "real"), str(tmp_path / "fake"), "--backbone",
        "classifier", "--classifier-ckpt", str(clf), "--json", str(tmp_path / "fid.json"),
    ])
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "fid.json").read_text())
    assert saved["fid"] > 0 and saved["fid_protocol"]["n_fake"] == 12
    assert saved["fid_protocol"]["comparable_with_published_fid"] is False
    assert "NOT comparable" in result.output


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"", "the file is empty"),
        (b"text, not a checkpoint\n", "it is not a PyTorch checkpoint file"),
        (None, "the file is truncated or corrupt (a zip archive PyTorch cannot read)"),
    ],
)
def test_resume_from_a_bad_checkpoint_is_one_line(tmp_path, content, why) -> None:
    """`gan train` resumes by default: a damaged checkpoint.pt is named, with the fix."""
    study = tmp_path / "tiny.toml"
    study.write_text(STUDY.format(out=tmp_path / "runs"))
    ckpt = tmp_path / "runs" / "tiny" / "gan" / "checkpoint.pt"
    if content is None:
        assert runner.invoke(app, ["gan", "train", str(study), "--epochs", "1"]).exit_code == 0
        content = ckpt.read_bytes()[: ckpt.stat().st_size // 2]
    ckpt.parent.mkdir(parents=True, exist_ok=True)
    ckpt.write_bytes(content)
    result = runner.invoke(app, ["gan", "train", str(study)])
    text = " ".join(result.output.split())
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert text == (f"error: {ckpt}: cannot be read as a GAN checkpoint: {why}; delete it "
                    "(or start without resuming) to train from scratch")
