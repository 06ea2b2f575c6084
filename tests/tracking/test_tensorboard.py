"""The TensorBoard log: scalars from report entries, images from PNG files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorboard")

from PIL import Image  # noqa: E402
from tensorboard.backend.event_processing.event_accumulator import (  # noqa: E402
    EventAccumulator,
)

from ganlab.tracking import TensorBoardLog, tee_report  # noqa: E402


def test_epochs_and_images_land_in_the_event_file(tmp_path: Path) -> None:
    grid = tmp_path / "epoch_002.png"
    Image.fromarray(np.full((8, 8, 3), 200, np.uint8)).save(grid)
    seen = []
    with TensorBoardLog(tmp_path / "tb") as log:
        report = tee_report(lambda p, e, m: seen.append((p, e)), log, lambda: [grid])
        report("gan", 1, {"d_loss": 0.7, "g_loss": 1.5, "d_real": 0.6, "d_fake": 0.3,
                          "ada_p": 0.1, "note": "text is skipped"})
        report("gan", 2, {"d_loss": 0.6, "g_loss": 1.4, "d_real": 0.55, "d_fake": 0.35})
        report("classifier", 1, {"val_roc_auc": {"value": 0.8}, "val_loss": 0.5})
    assert seen == [("gan", 1), ("gan", 2), ("classifier", 1)]  # the original report still runs
    acc = EventAccumulator(str(tmp_path / "tb"))
    acc.Reload()
    tags = acc.Tags()
    assert {"gan/d_loss", "gan/g_loss", "gan/d_real", "gan/d_fake", "gan/ada_p",
            "classifier/val_roc_auc", "classifier/val_loss"} <= set(tags["scalars"])
    assert [e.value for e in acc.Scalars("gan/d_loss")] == pytest.approx([0.7, 0.6])
    assert tags["images"] == ["gan/epoch_002"]  # logged once, not once per epoch


def test_without_a_log_the_report_is_unchanged() -> None:
    def report(p, e, m):
        return None

    assert tee_report(report, None) is report
