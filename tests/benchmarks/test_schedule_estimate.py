"""benchmarks/schedule_estimate.py: the paper study's stage graph and the list schedule."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))

from schedule_estimate import (  # noqa: E402
    Job,
    estimate,
    list_schedule,
    per_image_seconds,
    study_jobs,
)

from ganlab.config import load_config  # noqa: E402

STUDIES = Path(__file__).parents[2] / "studies"


def test_paper_gpu_profile_trains_12_gans_and_41_classifiers() -> None:
    cfg = load_config(STUDIES / "paper.toml", profile="gpu")
    jobs = study_jobs(cfg, n_images=2637)
    gans = [j for j in jobs if j.model == "gan"]
    clfs = {j.name: j for j in jobs if j.model != "gan"}
    # the trials' GAN (= the base cell's at seed 0), base seeds 1-2, 3 GAN cells x 3 seeds
    assert len(gans) == 12 and all(g.epochs == 3000 for g in gans)
    assert len(clfs) == 20 + 6 + 5 * 3
    trial_gans = {clfs[f"trial-{i}"].needs for i in range(20)}
    assert len(trial_gans) == 1 and clfs["ablation-base-0"].needs in trial_gans
    assert clfs["ablation-base-1"].needs not in trial_gans
    assert all(not j.needs for n, j in clfs.items() if n.startswith("baseline-"))
    assert {j.model for n, j in clfs.items() if n.startswith("baseline-")} == {
        "timm-resnet18", "compact_cnn"}
    n_train = round(2637 * 0.7)
    synthetic = [j for n, j in clfs.items() if "real_synthetic" in n or "real+synthetic" in n]
    assert synthetic and all(j.images == 2 * n_train for j in synthetic)
    assert gans[0].steps_per_epoch == n_train // 128  # the GAN drops the last partial batch


def test_list_schedule_waits_for_the_gan_and_fills_workers() -> None:
    jobs = [Job("gan", "gan", 1, 10, 1), Job("a", "c", 1, 5, 1, ("gan",)),
            Job("b", "c", 1, 8, 1)]

    def seconds(job: Job) -> float:
        return job.epochs * job.images

    assert list_schedule(jobs, seconds, 1)[0] == 23
    span, placed = list_schedule(jobs, seconds, 2)
    assert span == 15 and placed["a"][0] == 10  # a starts when its GAN ends
    assert placed["b"][0] == 0 and placed["gan"][2] != placed["b"][2]


def test_costs_from_measured_histories(tmp_path: Path) -> None:
    gan = tmp_path / "history.json"
    rows = [{"seconds": 9.0, "img_per_s": 10.0}, {"seconds": 2.0, "img_per_s": 50.0}]
    gan.write_text(json.dumps(rows))
    clf = tmp_path / "checkpoint.pt"
    torch.save({"history": [{"seconds": 1.0, "wall_seconds": 1.5, "img_per_s": 100.0}]}, clf)
    cost = per_image_seconds(gan_history=gan, classifiers={"compact_cnn": clf})
    assert cost["gan"] == pytest.approx(2.0 / 100)  # the warm-up epoch is left out
    assert cost["compact_cnn"] == pytest.approx(1.5 / 100)  # validation counted
    lines = estimate([Job("g", "gan", 2, 100, 10), Job("x", "resnet", 1, 100, 10, ("g",))],
                     cost, [1])
    assert lines[-1] == "W = 1: 0.1 min" and "resnet" in lines[1]
