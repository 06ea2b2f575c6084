"""choose_threshold: Youden's J on validation, or the fixed value."""

from __future__ import annotations

import numpy as np
import pytest

from ganlab.classify._outputs import Scored, choose_threshold


def _val(labels: list[int], prob: list[float]) -> Scored:
    n = len(labels)
    return Scored("val", [str(i) for i in range(n)], [""] * n, np.array(labels),
                  np.array(prob, dtype=float))


def test_youden_picks_the_threshold_that_separates_the_classes() -> None:
    val = _val([0, 0, 0, 1, 1, 1], [0.1, 0.2, 0.3, 0.6, 0.7, 0.9])
    out = choose_threshold("youden", 0.5, val)
    assert out["method"] == "youden" and out["chosen_on"] == "val"
    pred = val.prob >= out["value"]
    assert (pred == val.labels.astype(bool)).all()  # J = 1: every sample right
    assert 0.3 < out["value"] <= 0.6


def test_youden_on_one_class_falls_back_to_one_half() -> None:
    assert choose_threshold("youden", 0.2, _val([1, 1, 1], [0.1, 0.5, 0.9]))["value"] == 0.5


@pytest.mark.parametrize("fixed", [0.0, 0.35, 1.0])
def test_fixed_threshold_is_used_as_given(fixed: float) -> None:
    val = _val([0, 1], [0.2, 0.8])
    assert choose_threshold("fixed", fixed, val) == {"method": "fixed", "value": fixed}
