"""``benchmarks/paired_delta.py``: a fold ensemble against the single model on the same test
images (their validation sides differ: the ensemble's is out-of-fold)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from ganlab.cli import app

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "paired_delta.py"

STUDY = """
[study]
name = "pair"
output = "{out}"
device = "cpu"

[data]
root = "{root}"
synth = {{n = 60, image_size = 20, seed = 0}}
image_size = 16
filters = [{{name = "resize", size = 16}}]
split = {{folds = {folds}, test = 0.2}}

[classifier]
model = {{name = "compact_cnn", width = 8, depth = 2}}
epochs = 1
patience = 0
batch_size = 16
bootstrap = 20
augment = false
"""


def _train(tmp_path: Path, folds: int) -> Path:
    study, out = tmp_path / f"pair-{folds}.toml", tmp_path / f"run-{folds}"
    study.write_text(STUDY.format(out=tmp_path / "runs", root=tmp_path / "synth", folds=folds))
    result = CliRunner().invoke(app, ["classify", "train", str(study), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _delta(*pairs: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *pairs], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_a_fold_ensemble_is_compared_with_the_single_model_on_the_same_test_images(
        tmp_path: Path) -> None:
    single, folds = _train(tmp_path, 0), _train(tmp_path, 3)
    done = _delta(f"{folds}:{single}")
    assert done.returncode == 0, done.stderr
    assert "Δ roc_auc" in done.stdout and "1 pair(s)" in done.stdout
    missing = _delta(f"{tmp_path / 'nowhere'}:{single}")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stderr.strip().startswith("paired_delta:") and "nowhere" in missing.stderr
