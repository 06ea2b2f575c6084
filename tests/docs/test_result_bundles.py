"""The result bundles behind docs/results.md still belong to the study files they came from:
each imports cleanly (same cells, same data, GAN and classifier settings). A study file changed
since makes this fail: rerun its seeds and export them again (studies/synthesis.toml says how).
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from ganlab.config import load_config, parse_override
from ganlab.study import import_results

REPO = Path(__file__).resolve().parents[2]
BUNDLES = sorted((REPO / "docs" / "results").glob("*.tar.gz"))
STUDIES = {"synthesis": REPO / "studies" / "synthesis.toml"}


def test_there_are_bundles() -> None:
    assert BUNDLES, "docs/results/ holds the bundles of the seeds docs/results.md reports"


@pytest.mark.parametrize("bundle", BUNDLES, ids=[b.name for b in BUNDLES])
def test_a_bundle_imports_into_its_study(bundle: Path, tmp_path: Path) -> None:
    study = STUDIES[bundle.name.split("-seed-")[0]]
    cfg = load_config(study, overrides=[parse_override(f"study.output='{tmp_path}'")])
    added = import_results(cfg, [bundle]).added
    with tarfile.open(bundle) as tar:
        runs = {"/".join(n.split("/")[:3]) for n in tar.getnames() if n != "manifest.json"}
    assert sorted(added) == sorted(runs)
