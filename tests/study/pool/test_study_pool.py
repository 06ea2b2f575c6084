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
