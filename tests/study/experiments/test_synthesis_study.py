"""studies/synthesis.toml, its whole design at tiny sizes, end to end through `study ablate`."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ganlab.cli import app

STUDY = Path(__file__).resolve().parents[3] / "studies" / "synthesis.toml"


def _toml(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f'"{k}" = {_toml(v)}' for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)


PRETRAIN = '{name = "pretrain", n = 10000, epochs = 5}'


@pytest.mark.slow
def test_the_synthesis_study_answers_with_every_strategy(tmp_path: Path, synth_root: Path) -> None:
    levels = tomllib.loads(STUDY.read_text())["ablation"]["factors"]["classifier.synthesis"]
    names = {lv["name"] for lv in levels}
    assert names == {"mix", "pretrain", "filter", "class"}  # every built-in strategy
    assert any(lv.get("repeat_real") for lv in levels)  # and the steps control
    sets = {
        "study.output": str(tmp_path / "runs"), "study.device": "cpu",
        "data.root": str(synth_root), "data.synth": {"n": 60, "image_size": 20, "seed": 0},
        "data.image_size": 16, "data.filters": [{"name": "resize", "size": 16}],
        "gan.generator": {"name": "dcgan", "ngf": 8}, "gan.nz": 16,
        "gan.discriminator": {"name": "dcgan", "ndf": 8, "spectral_norm": True},
        "gan.epochs": 1, "gan.batch_size": 16,
        "gan.metrics": {"enabled": True, "n_per_class": 16, "k": 3, "feature_epochs": 1,
                        "tstr": True, "tstr_epochs": 1},
        "classifier.model": {"name": "compact_cnn", "width": 8, "depth": 2},
        "classifier.epochs": 1, "classifier.batch_size": 16, "classifier.bootstrap": 20,
        "ablation.seeds": [0, 1],
    }
    args = [a for k, v in sets.items() for a in ("--set", f"{k}={_toml(v)}")]
    text = STUDY.read_text()
    assert PRETRAIN in text
    study = tmp_path / "synthesis.toml"  # the same file, pretraining shrunk to the tiny data
    study.write_text(text.replace(PRETRAIN, '{name = "pretrain", n = 64, epochs = 1}'))
    result = CliRunner().invoke(app, ["study", "ablate", str(study), *args])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "Holm" in out and "the GAN of each seed" in out and "tstr_roc_auc" in out
    res = json.loads((tmp_path / "runs" / "synthesis" / "ablation" / "results.json").read_text())
    rows = res["rows"]
    assert len(rows) == 1 + len(levels)
    assert all(r["n_seeds"] == 2 and not r["errors"] for r in rows)
    pvalues = []
    for row in rows[1:]:
        for metric in ("roc_auc", "accuracy"):
            delta = row["vs_base"][metric]
            assert delta["n_seeds"] == 2 and delta["p_holm"] >= delta["p_value"]
            assert set(row["vs_base_per_seed"]) == {"0", "1"}
        pvalues.append(row["vs_base"]["roc_auc"]["p_holm"])
    gan_rows = [r for r in rows if r["gan_per_seed"]]
    assert gan_rows and all(set(r["gan_per_seed"]) == {"0", "1"} for r in gan_rows)
    assert {"tstr_roc_auc", "coverage", "recall"} <= set(gan_rows[0]["gan_per_seed"]["0"])
    control = next(r for r in rows if "repeat_real" in r["label"])
    assert not control["gan_per_seed"]  # the steps control trains no GAN
    assert len(pvalues) == len(levels)
    # the filter cells judged by the base cell's own classifier (one real-data model per seed)
    root = tmp_path / "runs" / "synthesis"
    refs = sorted((root / "references").glob("real-*/model.pt"))
    assert len(refs) == 2
    base = {(root / "ablation" / "base" / f"seed-{s}" / "classifier" / "model.pt").stat().st_ino
            for s in (0, 1)}
    assert {r.stat().st_ino for r in refs} == base
    filtered = [d for d in (root / "ablation").iterdir() if "filter" in d.name]
    assert filtered and not list(filtered[0].rglob("reference"))


def test_a_trial_refits_its_classifier_when_the_study_asks(write_study) -> None:
    study = write_study("refit", n_trials=1, search="")
    result = CliRunner().invoke(app, ["study", "run", str(study), "--set",
                                      "classifier.refit=true"])
    assert result.exit_code == 0, result.output
    refits = list(study.parent.glob("runs/refit/**/classifier/refit/metrics.json"))
    assert len(refits) == 1
    assert json.loads(refits[0].read_text())["protocol"]["refit"]["best_epoch"] >= 1
