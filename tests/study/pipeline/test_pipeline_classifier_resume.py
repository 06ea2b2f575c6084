"""An interrupted run's classifier continues from its last epoch when the pipeline reruns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from ganlab.config import load_config


@pytest.mark.slow  # two pipeline runs; fast: the classifier trainer's resume tests
def test_rerun_continues_the_classifier_checkpoint(tmp_path: Path, one_torch_thread) -> None:
    from ganlab.study import run_pipeline

    study, synth = tmp_path / "resume.toml", tmp_path / "synth"
    study.write_text(
        '[study]\nname = "resume"\ndevice = "cpu"\n'
        f'[data]\nroot = "{synth}"\nsynth = {{n = 40, image_size = 20}}\n'
        'image_size = 16\nfilters = [{name = "resize", size = 16}]\nworkers = 1\n'
        '[gan]\nenabled = false\n'
        '[classifier]\nmodel = {name = "compact_cnn", width = 8, depth = 2}\nepochs = 2\n'
        'batch_size = 16\nbootstrap = 10\nschedule = "cosine"\n'
    )
    cfg = load_config(study)
    run = tmp_path / "run"
    first = run_pipeline(cfg, out_dir=run, work_dir=tmp_path, device=torch.device("cpu"), seed=0)
    assert (run / "classifier" / "checkpoint.pt").is_file()
    for done in ("metrics.json", "run.json", "classifier/model.pt"):  # killed before scoring
        (run / done).unlink()
    again = run_pipeline(cfg, out_dir=run, work_dir=tmp_path, device=torch.device("cpu"), seed=0)
    protocol = json.loads((run / "run.json").read_text())["classifier_metrics"]["protocol"]
    assert protocol["resumed_at_epoch"] == 2 and protocol["epochs_run"] == 2
    assert again.metrics == first.metrics
