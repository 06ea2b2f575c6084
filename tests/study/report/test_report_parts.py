"""Pure parts of the report: GAN metric rows, whatever metrics a run recorded."""

from __future__ import annotations

from ganlab.study.report._report import gan_metric_rows


def test_gan_metric_rows_show_measured_numbers_and_why_others_are_missing() -> None:
    measured, missing = gan_metric_rows({
        "fid_skipped": "no Inception weights",
        "tstr_roc_auc": 0.81234,
        "coverage": 0.5,
        "precision": {"benign": 0.7, "malignant": 0.6},
        "fid_protocol": {"n_fake": 200},
    })
    assert measured == [["tstr_roc_auc", "0.8123"], ["coverage", "0.5"],
                        ["precision.benign", "0.7"], ["precision.malignant", "0.6"]]
    assert missing == [["fid", "no Inception weights"]]
