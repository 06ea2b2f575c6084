"""A report page renders in headless Chromium (skipped where no chromium is installed).

The same command renders the quickstart report's first screen for docs/img:
``chromium --headless --no-sandbox --hide-scrollbars --window-size=1280,900
--screenshot=report.png runs/quickstart/report/index.html``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganlab.study.report._doc import Doc

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def screenshot(html: Path, png: Path, *, width: int = 1280, height: int = 900) -> Path:
    """Render ``html``'s first screen to ``png`` with headless Chromium."""
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           f"--window-size={width},{height}", f"--screenshot={png}", html.resolve().as_uri()]
    subprocess.run(cmd, capture_output=True, timeout=120, check=True)
    return png


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (apt-get install chromium)")
@pytest.mark.slow
def test_report_page_renders_with_its_headline_and_folded_config(tmp_path: Path) -> None:
    doc = Doc("Study report: shot", tmp_path)
    doc.h("Summary")
    doc.lead("Best trial #3: val.roc_auc = 0.9169.")
    doc.table(["metric", "test"], [["roc_auc", "0.895 [0.812, 0.956]"]])
    doc.h("Configuration")
    doc.fold("Resolved configuration")
    doc.code("\n".join(f"line {i}" for i in range(400)))  # folded: must not fill the page
    doc.unfold()
    html = tmp_path / "index.html"
    html.write_text(doc.html(), encoding="utf-8")
    full = screenshot(html, tmp_path / "shot.png", height=3000)
    img = np.asarray(Image.open(full).convert("L"))
    assert img.shape[1] == 1280
    inked = np.flatnonzero((img < 200).any(axis=1))  # rows with text or lines
    assert inked.size and inked.min() < 200  # the title is on the first screen
    assert inked.max() < 1000  # 400 folded lines would reach far below
    lead = np.asarray(Image.open(full).convert("RGB"))[:400]
    assert ((lead[..., 2] > 240) & (lead[..., 0] < 245) & (lead[..., 0] > 225)).any()  # blue box


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (apt-get install chromium)")
@pytest.mark.slow
def test_a_wide_table_scrolls_inside_the_page_margins(tmp_path: Path) -> None:
    doc = Doc("Study report: wide", tmp_path)
    headers = [f"column {i} with a long header" for i in range(24)]
    doc.table(headers, [[f"0.{i}12 [0.{i}01, 0.{i}99]" for i in range(24)]] * 3)
    html = tmp_path / "index.html"
    html.write_text(doc.html(), encoding="utf-8")
    img = np.asarray(Image.open(screenshot(html, tmp_path / "wide.png")).convert("L"))
    right_margin = img[:, 1205:]  # the body is at most 1100 px wide, centred in 1280
    assert (right_margin > 240).all(), "the table overflows the page instead of scrolling"
