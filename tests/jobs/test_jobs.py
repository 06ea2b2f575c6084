"""Every job called from Python on a tiny study: prepare data, train and score a GAN, train and
evaluate a classifier and its floors, run a study, its ablation and its report (the result
bundles' jobs: tests/study/experiments/test_study_bundles.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jobs_helpers import ABLATION, instant_pipeline

from ganlab import jobs
from ganlab.config import load_config
from ganlab.study.events import DataReady, EpochEnd, StageFinished


def test_prepare_data_reports_what_it_found(study_file) -> None:
    cfg = load_config(study_file())
    events: list = []
    data = jobs.prepare_data(cfg, jobs.RunContext.from_config(cfg, on_event=events.append))
    assert len(data.train.labels) > 0 and data.split_manifest.is_file()
    ready = [e for e in events if isinstance(e, DataReady)]
    assert len(ready) == 1 and ready[0].usable == ready[0].files == 48
    again = jobs.prepare_data(cfg)  # no context: the study folder, no progress
    assert again.protocol["cache_hit"] and again.split_manifest == data.split_manifest


@pytest.mark.slow
def test_gan_jobs_train_then_score(study_file, tmp_path) -> None:
    extra = """
[gan.metrics]
n_per_class = 16
k = 3
feature_epochs = 1
tstr = false
feature_classifier = {name = "compact_cnn", width = 8, depth = 2}
"""
    cfg = load_config(study_file("gans", extra=extra))
    events: list = []
    ctx = jobs.RunContext.from_config(cfg, on_event=events.append)
    trained = jobs.train_gan(cfg, ctx)
    assert trained.out_dir == ctx.study.root / "gan" and trained.device.type == "cpu"
    assert trained.gan.checkpoint.is_file() and len(trained.gan.history) == 1
    assert (trained.out_dir / "study-config.json").is_file()
    assert [(e.phase, e.epoch, e.epochs) for e in events if isinstance(e, EpochEnd)] == [
        ("gan", 1, 1)]
    score = jobs.score_gan(cfg, ctx, checkpoint=trained.gan.checkpoint)
    assert score.path == trained.out_dir / "metrics" / "gan_metrics.json"
    assert json.loads(score.path.read_text())["per_class"] == score.figures["per_class"]
    assert set(score.figures["per_class"]) == {"benign", "malignant"}


@pytest.mark.slow
def test_classifier_jobs_train_then_evaluate_and_predict(study_file, jobs_data) -> None:
    cfg = load_config(study_file("clf"))
    ctx = jobs.RunContext.from_config(cfg)
    result = jobs.train_classifier(cfg, ctx)
    model = result.predictions.parent / "model.pt"
    assert model.is_file() and "roc_auc" in result.metrics["test"]
    ev = jobs.evaluate_classifier(jobs.RunContext.local(device="cpu"), checkpoint=model,
                                  folder=jobs_data, bootstrap=10)
    assert ev.out_dir == model.parent / f"eval-{jobs_data.name}"
    assert ev.metrics["protocol"]["n"] == 48 and (ev.out_dir / "metrics.json").is_file()
    image = next(jobs_data.rglob("*.png"))
    [pred] = jobs.predict_images(ctx, checkpoint=model, images=[image])
    assert pred.predicted in ("benign", "malignant") and 0.0 <= pred.prob_positive <= 1.0
    floors = jobs.score_floors(cfg, ctx)
    assert set(floors) >= {"majority"} and "roc_auc" in floors["majority"]["test"]
    saved = [f["model"] for f in floors.values() if "model" in f]
    assert saved and jobs.evaluate_classifier(ctx, checkpoint=Path(saved[0]), folder=jobs_data,
                                              bootstrap=10).metrics["protocol"]["n"] == 48


def test_run_study_ablation_and_report_over_a_swapped_pipeline(study_file) -> None:
    cfg = load_config(study_file("swapped", n_trials=2, extra=ABLATION))
    events: list = []
    ctx = jobs.RunContext.from_config(cfg, pipeline=instant_pipeline, on_event=events.append)
    summary = jobs.run_study(cfg, ctx)
    assert summary.optimize.n_finished == 2 and summary.stages == ["optimize", "ablation"]
    done = [e.stage for e in events if isinstance(e, StageFinished)]
    assert done == ["preprocessing", "trials", "ablation"]
    again = jobs.run_study(cfg, ctx)  # resumes: nothing left to run
    assert again.optimize.n_started == 0
    ablation = jobs.run_ablation(cfg, ctx)
    assert [row["label"] for row in ablation.rows][0] == "base" and len(ablation.rows) == 2
    index = jobs.write_report(cfg, ctx)
    assert index.name == "index.html" and index.with_name("report.md").is_file()
    by_name = jobs.report_study("swapped", output=cfg.study.output, out=ctx.study.root / "r2")
    assert by_name.read_text() == index.read_text().replace(str(index.parent),
                                                            str(by_name.parent))


@pytest.mark.slow
def test_run_study_on_the_real_pipeline(study_file) -> None:
    cfg = load_config(study_file("real"))
    summary = jobs.run_study(cfg, jobs.RunContext.from_config(cfg))
    assert summary.optimize.n_finished == 1
    trial = summary.optimize.study.trials[0]
    assert 0.0 <= trial.values[0] <= 1.0
