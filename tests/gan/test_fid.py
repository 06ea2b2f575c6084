"""FID/KID: the eigh Fréchet distance against closed forms and scipy, protocol, weights errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from ganlab.classify import model_backbone
from ganlab.config import FidConfig
from ganlab.errors import WeightsError
from ganlab.metrics import (
    compute_fid,
    fid_from_features,
    frechet_distance,
    plan_training_fid,
    resolve_inception_weights,
)


def test_diagonal_gaussians_closed_form() -> None:
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    v1, v2 = rng.uniform(0.1, 3, size=6), rng.uniform(0.1, 3, size=6)
    # for diagonal covariances Tr sqrt(S1 S2) = sum sqrt(v1 v2)
    want = ((mu1 - mu2) ** 2).sum() + (v1 + v2 - 2 * np.sqrt(v1 * v2)).sum()
    assert frechet_distance(mu1, np.diag(v1), mu2, np.diag(v2)) == pytest.approx(want, rel=1e-10)
    assert frechet_distance(mu1, np.diag(v1), mu1, np.diag(v1)) == pytest.approx(0, abs=1e-10)


def test_full_covariances_match_scipy_sqrtm() -> None:
    from scipy import linalg

    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(20, 20)), rng.normal(size=(20, 20))
    s1, s2 = a @ a.T + 0.1 * np.eye(20), b @ b.T + 0.1 * np.eye(20)
    mu1, mu2 = rng.normal(size=20), rng.normal(size=20)
    covmean = linalg.sqrtm(s1 @ s2).real
    want = ((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(want, rel=1e-8)


def _backbone():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 4, 3, 2, 1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 8 * 8, 2)
    )
    return model_backbone(model, image_size=16, weights_sha256="test")


def test_samples_of_known_gaussians_give_the_closed_form() -> None:
    rng = np.random.default_rng(2)
    real = rng.normal(0.0, 1.0, size=(20000, 3))
    fake = rng.normal(1.0, 2.0, size=(20000, 3))
    # ||1||^2 * 3 + 3 * (1 + 4 - 2 * 2) = 6
    got = fid_from_features(real, fake, backbone=_backbone(), kid=False)
    assert got["fid"] == pytest.approx(6.0, rel=0.03)


@pytest.mark.slow  # fast: tests/gan/test_gan_cli.py, a classifier backbone's FID
def test_classifier_fid_on_tensors_has_a_full_protocol() -> None:
    g = torch.Generator().manual_seed(0)
    real = torch.randint(0, 256, (24, 3, 16, 16), dtype=torch.uint8, generator=g)
    dark = (real // 4).to(torch.uint8)
    net = _backbone()
    same = compute_fid(real, real, backbone=net)
    diff = compute_fid(real, dark, backbone=net)
    assert same["fid"] == pytest.approx(0.0, abs=1e-6)
    assert diff["fid"] > 1.0 and diff["kid"] > same["kid"]
    proto = diff["fid_protocol"]
    assert proto["n_real"] == proto["n_fake"] == 24 and proto["feature_dim"] == 256
    assert proto["image_size"] == 16 and proto["weights_sha256"] == "test"
    assert proto["comparable_with_published_fid"] is False and "NOT comparable" in proto["note"]
    assert "below the feature dimension 256" in proto["warning"]
    assert "PIL bicubic" in proto["resizer"]


@pytest.mark.slow  # decodes PNG folders; the figure itself is tested on tensors
def test_folders_give_the_same_figure_as_tensors(tmp_path) -> None:
    from ganlab.gan import save_images

    g = torch.Generator().manual_seed(1)
    real = torch.randint(0, 256, (10, 3, 16, 16), dtype=torch.uint8, generator=g)
    fake = torch.randint(0, 128, (10, 3, 16, 16), dtype=torch.uint8, generator=g)
    save_images(real, tmp_path / "real" / "benign")
    save_images(fake, tmp_path / "fake")
    net = _backbone()
    from_dirs = compute_fid(tmp_path / "real", tmp_path / "fake", backbone=net)
    from_tensors = compute_fid(real, fake, backbone=net)
    assert from_dirs["fid"] == pytest.approx(from_tensors["fid"], rel=1e-6)


def test_missing_inception_weights_say_how_to_get_them(tmp_path, monkeypatch) -> None:
    import tempfile

    monkeypatch.delenv("GANLAB_INCEPTION_WEIGHTS", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # no download (tests/plugins: the online path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "empty"))  # clean-fid's cache
    with pytest.raises(WeightsError, match="inception-2015-12-05.pt.*nvlabs-fi-cdn"):
        resolve_inception_weights(None)
    monkeypatch.setenv("GANLAB_INCEPTION_WEIGHTS", str(tmp_path))
    with pytest.raises(WeightsError, match="not found at"):
        resolve_inception_weights(None)
    (tmp_path / "inception-2015-12-05.pt").write_bytes(b"x")
    assert resolve_inception_weights(None) == tmp_path / "inception-2015-12-05.pt"


def test_training_fid_plan(tmp_path, monkeypatch) -> None:
    import tempfile

    monkeypatch.delenv("GANLAB_INCEPTION_WEIGHTS", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(WeightsError):
        plan_training_fid(FidConfig(backbone="inception"))
    scorer, reason = plan_training_fid(FidConfig(backbone="auto"))
    assert scorer is None and "no Inception weights" in reason
    assert plan_training_fid(FidConfig(enabled=False)) == (None, "fid.enabled = false")
