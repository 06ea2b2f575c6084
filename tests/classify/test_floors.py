"""Trivial floors: majority class and colour-histogram logistic regression."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from ganlab.classify import colour_histograms, trivial_floors


def test_colour_histograms_are_normalised_and_colour_sensitive() -> None:
    red = torch.zeros(1, 3, 8, 8, dtype=torch.uint8)
    red[:, 0] = 255
    blue = torch.zeros(1, 3, 8, 8, dtype=torch.uint8)
    blue[:, 2] = 255
    hist = colour_histograms(torch.cat([red, blue, red]))
    assert hist.shape == (3, 512)
    np.testing.assert_allclose(hist.sum(1), 1.0)
    assert hist[0].argmax() != hist[1].argmax()
    np.testing.assert_array_equal(hist[0], hist[2])


def test_floors_on_a_colour_separable_set(data, tmp_path: Path) -> None:
    out = trivial_floors(data, n_boot=100, out_dir=tmp_path)
    majority, hist = out["majority"], out["colour_histogram"]
    assert majority["test"]["roc_auc"]["value"] == pytest.approx(0.5)
    # half the test images are positives: the majority floor gets half of them right
    assert majority["test"]["accuracy"]["value"] == pytest.approx(0.5)
    assert majority["confusion_matrix"]["test"][1] == [0, 16] or \
        majority["confusion_matrix"]["test"][0] == [0, 16]
    assert hist["test"]["roc_auc"]["value"] > 0.9  # the red square shifts the colour histogram
    assert hist["threshold"]["method"] == "youden"
    written = json.loads((tmp_path / "floors.json").read_text())
    assert set(written) == {"protocol", "majority", "colour_histogram"}
    assert written["majority"]["test"]["roc_auc"]["ci_high"] == 0.5  # constant score


def test_colour_histogram_floor_is_a_saved_classifier(data, tmp_path: Path) -> None:
    """The saved floor loads like a classifier (weights_only) and gives sklearn's
    probabilities on new images."""
    from ganlab.classify import load_classifier
    from ganlab.classify._floors import _fit_histogram_lr
    from ganlab.classify._loop import positive_probability, predict_logits

    out = trivial_floors(data, n_boot=50, out_dir=tmp_path)
    path = Path(out["colour_histogram"]["model"])
    assert path == tmp_path / "floor_colour_histogram.pt"
    torch.load(path, weights_only=True)  # a safe format
    model, meta = load_classifier(path)
    assert meta["threshold"] == out["colour_histogram"]["threshold"]
    assert meta["class_names"] == ["benign", "malignant"] and meta["image_size"] == 16
    prob = positive_probability(predict_logits(model, data.test.images,
                                               device=torch.device("cpu")))
    expected = _fit_histogram_lr(data.train, 0).predict_proba(
        colour_histograms(data.test.images))[:, 1]
    np.testing.assert_allclose(prob, expected, atol=1e-6)
