"""Pure functions of the pipeline, without training: needs_gan and flat_metrics."""

from __future__ import annotations

import math

import pytest

from ganlab.config import config_from_dict
from ganlab.study import flat_metrics, needs_gan


def _cfg(**sections) -> object:
    return config_from_dict({"study": {"name": "u", **sections.pop("study", {})}, **sections})


@pytest.mark.parametrize(("sections", "expected"), [
    ({}, False),  # real mode, compact_cnn, val objective: no GAN
    ({"classifier": {"mode": "real+synthetic", "synthetic_ratio": 0.5}}, True),
    ({"classifier": {"mode": "real+synthetic"}}, False),  # ratio 0: the no-GAN control
    ({"classifier": {"synthesis": {"name": "pretrain"}}}, True),
    ({"classifier": {"synthesis": {"name": "mix", "repeat_real": True}}}, False),
    ({"classifier": {"mode": "synthetic"}}, True),
    ({"classifier": {"model": {"name": "discriminator"}}}, True),  # GAN pretraining
    ({"classifier": {"model": {"name": "discriminator", "checkpoint": "g.pt"}}}, False),
    ({"study": {"objectives": [{"metric": "gan.fid", "direction": "minimize"}]}}, True),
    ({"classifier": {"enabled": False}}, True),  # a GAN-only study
    ({"gan": {"enabled": False}, "classifier": {"mode": "synthetic"}}, False),
])
def test_needs_gan(sections: dict, expected: bool) -> None:
    assert needs_gan(_cfg(**sections)) is expected


def test_flat_metrics_flattens_values_and_skips_non_numbers() -> None:
    clf = {"protocol": {"seed": 1}, "threshold": {"value": 0.4},
           "val": {"roc_auc": {"value": 0.9, "ci_low": 0.8}, "f1": {"value": None}},
           "test": {"accuracy": 0.75}}
    gan = {"fid": 80.5, "kid": 0.01, "fid_protocol": {"backbone": "inception"}, "ok": True}
    out = flat_metrics(clf, gan)
    assert out == {"val.roc_auc": 0.9, "test.accuracy": 0.75, "gan.fid": 80.5, "gan.kid": 0.01}
    assert all(isinstance(v, float) for v in out.values())
    assert flat_metrics(None, None) == {}
    assert math.isnan(flat_metrics({"val": {"roc_auc": {"value": float("nan")}}}, None)
                      ["val.roc_auc"])
