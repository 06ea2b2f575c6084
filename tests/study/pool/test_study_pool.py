"""``study run --jobs 2``: every stage on one worker pool, with the results of ``--jobs 1``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from study_helpers import run_cli_subprocess

# every stage, with GANs shared between trials, baselines and ablation cells
STAGES = """
[ablation]
factors = {"classifier.synthetic_ratio" = [0.0, 0.5]}
seeds = [0, 1]

[baselines]
models = [{name = "compact_cnn", width = 4, depth = 2}]
seeds = [0, 1]

[ensemble]
top_k = 2
include_baselines = true
methods = ["soft", "stacking"]
"""


def _run(study_file: Path, *args: str) -> str:
    proc = run_cli_subprocess("study", "run", str(study_file), "--log-format", "plain", *args,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out
    return out


def _results(root: Path) -> dict[str, object]:
    """Every metrics.json and results.json under ``root``, by relative path (``root`` itself
    removed from the paths they hold)."""
    out = {}
    for path in sorted([*root.rglob("metrics.json"), *root.rglob("results.json")]):
        rel = str(path.relative_to(root))
        if "/metrics/" in rel:
            continue  # the GAN's own figures: compared through each run's metrics.json
        out[rel] = _untimed(json.loads(path.read_text().replace(str(root.resolve()), "<root>")
                                       .replace(str(root), "<root>")))
    return out


def _untimed(value: object) -> object:
    """``value`` without its wall times (``train_seconds``: they differ from run to run)."""
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if not str(k).endswith("seconds")}
    return value


def _diff(a: object, b: object, at: str = "") -> list[str]:
    """The leaf paths where ``a`` and ``b`` differ, with both values."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(a.keys() | b.keys(), key=str)
                for d in _diff(a.get(k), b.get(k), f"{at}.{k}")]
    return [] if a == b else [f"{at}: {a!r} != {b!r}"]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_jobs_2_runs_every_stage_with_the_results_of_jobs_1(write_study, tmp_path: Path) -> None:
    kw = dict(n_trials=3, gan=True, mode="real+synthetic", sampler='{name = "random"}',
              extra=STAGES)
    one = write_study("pool", output=tmp_path / "one", **kw)
    _run(one, "--jobs", "1")
    two = write_study("pool", output=tmp_path / "two", **kw)
    log = _run(two, "--jobs", "2")

    a, b = _results(tmp_path / "one" / "pool"), _results(tmp_path / "two" / "pool")
    runs = [k for k in a if k.endswith("metrics.json") and "classifier" not in k]
    assert len(runs) == 3 + 4 + 2  # trials, ablation runs (cells base and 0.0), baseline runs
    assert sum(k.endswith("results.json") for k in a) == 3  # ablation, baselines, ensemble
    assert a.keys() == b.keys()
    for key in a:
        assert a[key] == b[key], (key, _diff(a[key], b[key]))
    assert "ensembles done" in log and "baselines done" in log and "ablation done" in log
    gans = list((tmp_path / "two" / "pool" / "gan-cache").glob("*/gan_result.json"))
    assert len(gans) == 2  # seeds 0 and 1: each trained once, shared by every run of its seed
    assert "Traceback" not in log


# a scored GAN: per-seed TSTR with its TRTR reference, the study's feature network
SCORED = """
[gan.metrics]
enabled = true
n_per_class = 20
feature_epochs = 1
tstr_epochs = 1

[ablation]
factors = {"classifier.synthetic_ratio" = [0.0, 0.5]}
seeds = [0, 1]
"""


def test_a_scored_gan_s_references_train_beside_it_and_its_runs_do_not_wait_for_its_scoring(
        write_study, tmp_path: Path) -> None:
    from ganlab.config import load_config
    from ganlab.study._layout import StudyLayout
    from ganlab.study.pool._scheduler import Scheduler
    from ganlab.study.pool._units import plan_gans, plan_runs

    cfg = load_config(write_study("order", n_trials=1, gan=True, mode="real+synthetic",
                                  search="", extra=SCORED))
    layout = StudyLayout.of_config(cfg)
    runs = plan_runs(cfg, layout)
    gans = plan_gans(layout, runs, None)
    assert [u.kind for u in gans] == ["gan", "gan-refs", "gan-score"] * 2  # seeds 0 and 1
    sched = Scheduler(cfg, None, None, gans, runs, None, object(),  # type: ignore[arg-type]
                      lambda _e: None, lambda _s: None)
    sched._locked = lambda: True  # type: ignore[method-assign]  # the study lock is not tested

    def take(worker: int) -> str | None:
        unit = sched._next()
        if unit is not None:
            sched.running[worker] = unit
        return None if unit is None else unit.kind

    assert [take(0), take(1)] == ["gan", "gan-refs"]  # seed 0's references beside its GAN
    del sched.running[1]
    assert take(1) == "gan"  # seed 1's GAN: seed 0's scoring waits for seed 0's GAN
    del sched.running[0]  # seed 0's GAN is trained
    assert take(0) == "gan-score"
    del sched.running[1]  # seed 1's GAN is trained
    assert [take(1), take(2), take(3)] == ["gan-refs", "gan-score", "run"]
    del sched.running[0]
    assert take(0) == "run"  # seed 0's runs while seed 1's GAN is scored


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_jobs_2_scores_each_gan_once_with_the_results_of_jobs_1(write_study,
                                                               tmp_path: Path) -> None:
    kw = dict(n_trials=1, gan=True, mode="real+synthetic", search="", extra=SCORED)
    one = write_study("scored", output=tmp_path / "one", **kw)
    _run(one, "--jobs", "1")
    two = write_study("scored", output=tmp_path / "two", **kw)
    log = _run(two, "--jobs", "2")

    a, b = _results(tmp_path / "one" / "scored"), _results(tmp_path / "two" / "scored")
    assert sum(k.startswith("ablation/") and k.endswith("/metrics.json")
               and not k.endswith("/classifier/metrics.json") for k in a) == 4
    assert a.keys() == b.keys()
    for key in a:
        assert a[key] == b[key], (key, _diff(a[key], b[key]))
    root = tmp_path / "two" / "scored"
    done = sorted(p.parent.name.split("-")[0] for p in (root / "gan-metrics").glob("*/done.json"))
    assert done == ["features", "trtr", "trtr"]  # one feature network, one TRTR per seed
    scored = list((root / "gan-cache").glob("*/metrics/gan_metrics.json"))
    assert len(scored) == 2
    base = root / "ablation" / "base"  # the cell that uses the GAN
    runs = [json.loads(p.read_text()) for p in base.glob("seed-*/metrics.json")]
    assert len(runs) == 2
    assert all("gan.tstr_roc_auc" in m and "gan.trtr_roc_auc" in m for m in runs), runs
    assert "reference classifiers seed 1: started" in log and "scoring seed 1: started" in log
    assert "Traceback" not in log
