"""Result bundles: seeds of one ablation run on machines that share no disk, tabled together.

Each "machine" is its own output folder; `study export` packs its finished runs, `study import`
adds them to a third folder, whose `study ablate` then trains nothing and tables every seed."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

from typer.testing import CliRunner

from ganlab.cli import app

runner = CliRunner()

ABLATION = """
[ablation]
factors = {"classifier.batch_size" = [32, 16]}
seeds = [0, 1]
"""


def _cli(*args: str, ok: bool = True) -> str:
    result = runner.invoke(app, list(args))
    assert (result.exit_code == 0) is ok, result.output
    assert "Traceback" not in result.output
    return " ".join(result.output.split())  # rich wraps long lines


def _on(machine: Path) -> tuple[str, str]:
    return "--set", f"study.output='{machine}'"


def _ablate_one_seed(study: Path, machine: Path, seed: int, out: Path) -> None:
    _cli("study", "ablate", str(study), *_on(machine), "--set", f"ablation.seeds=[{seed}]")
    said = _cli("study", "export", str(study), *_on(machine), "--out", str(out))
    assert "exported 2 finished run(s)" in said


def test_seeds_run_apart_are_tabled_together_without_training(write_study, tmp_path: Path
                                                              ) -> None:
    study = write_study("apart", gan=True, mode="real+synthetic", extra=ABLATION)
    here = tmp_path / "here"
    for seed in (0, 1):
        _ablate_one_seed(study, tmp_path / f"m{seed}", seed, tmp_path / f"seed-{seed}.tar.gz")
    with tarfile.open(tmp_path / "seed-0.tar.gz") as tar:
        names = tar.getnames()
    assert "manifest.json" in names and "ablation/base/seed-0/classifier/predictions.csv" in names
    assert not [n for n in names if n.endswith(".pt")]  # no checkpoint travels
    _cli("study", "export", str(study), *_on(tmp_path / "m0"), "--no-figures", "--out",
         str(tmp_path / "small.tar.gz"))
    with tarfile.open(tmp_path / "small.tar.gz") as tar:
        assert not [n for n in tar.getnames() if n.endswith(".png")]

    first = _cli("study", "import", str(study), *_on(here), str(tmp_path / "seed-0.tar.gz"))
    assert "imported 2 run(s)" in first and "--tables-only" in first
    partial = " ".join(_cli("study", "ablate", str(study), *_on(here), "--tables-only").split())
    assert "2 of 4 (cell, seed) runs are not there yet" in partial  # seed 1 of both cells
    assert "started" not in partial and not (here / "apart" / "ablation" / "results.json").exists()
    said = _cli("study", "import", str(study), *_on(here), str(tmp_path / "seed-1.tar.gz"))
    assert "imported 2 run(s)" in said and "0 already here" in said
    again = _cli("study", "import", str(study), *_on(here), str(tmp_path / "seed-1.tar.gz"))
    assert "imported 0 run(s)" in again and "2 already here" in again

    tables = _cli("study", "ablate", str(study), *_on(here))
    assert tables.count(": cached") == 4 and "started" not in tables  # nothing trained
    assert not list((here / "apart").rglob("*.pt"))
    res = json.loads((here / "apart" / "ablation" / "results.json").read_text())
    assert [r["n_seeds"] for r in res["rows"]] == [2, 2]
    assert set(res["rows"][1]["vs_base_per_seed"]) == {"0", "1"}  # paired, per seed
    # the same Δ as on the machine that ran seed 0 (same predictions, same bootstrap seed)
    _cli("study", "ablate", str(study), *_on(tmp_path / "m0"), "--set", "ablation.seeds=[0]")
    there = json.loads((tmp_path / "m0" / "apart" / "ablation" / "results.json").read_text())
    assert res["rows"][1]["vs_base_per_seed"]["0"] == there["rows"][1]["vs_base_per_seed"]["0"]
    # the report of the importing machine renders without the GAN cache it never had
    _cli("study", "report", "apart", "--output", str(here))
    assert "classifier.batch_size = 16" in (here / "apart" / "report" / "report.md").read_text()


def test_a_bundle_is_refused_with_a_reason_and_nothing_is_written(write_study, tmp_path: Path
                                                                  ) -> None:
    study = write_study("refuse", extra=ABLATION)
    bundle = tmp_path / "seed-0.tar.gz"
    _ablate_one_seed(study, tmp_path / "m0", 0, bundle)
    here = tmp_path / "here"

    said = _cli("study", "import", str(study), *_on(here), "--set", "classifier.epochs=2",
                str(bundle), ok=False)
    assert "run with other settings: classifier.epochs is 1 in the bundle, 2 here" in said
    other = write_study("other", extra=ABLATION)
    said = _cli("study", "import", str(other), *_on(here), str(bundle), ok=False)
    assert "holds study 'refuse', not 'other'" in said
    (tmp_path / "notes.tar.gz").write_text("not a tarball")
    said = _cli("study", "import", str(study), *_on(here), str(tmp_path / "notes.tar.gz"),
                ok=False)
    assert "unreadable result bundle" in said
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(bundle) as src, tarfile.open(evil, "w:gz") as dst:
        for member in src.getmembers():
            dst.addfile(member, src.extractfile(member))
        data = b"{}"
        info = tarfile.TarInfo("ablation/base/seed-0/../../../../escaped.json")
        info.size = len(data)
        dst.addfile(info, io.BytesIO(data))
    said = _cli("study", "import", str(study), *_on(here), str(evil), ok=False)
    assert "unexpected member" in said
    assert not (here / "refuse" / "ablation").exists() and not (tmp_path / "escaped.json").exists()

    _cli("study", "import", str(study), *_on(here), str(bundle))
    metrics = here / "refuse" / "ablation" / "base" / "seed-0" / "metrics.json"
    changed = {**json.loads(metrics.read_text()), "test.roc_auc": 0.123}
    metrics.write_text(json.dumps(changed))  # a different run of the same seed
    said = _cli("study", "import", str(study), *_on(here), str(bundle), ok=False)
    assert "already holds a finished run with other results; move that folder aside" in said
    said = _cli("study", "export", str(study), *_on(tmp_path / "empty"), "--out",
                str(tmp_path / "none.tar.gz"), ok=False)
    assert "no finished ablation or baseline runs to export" in said
