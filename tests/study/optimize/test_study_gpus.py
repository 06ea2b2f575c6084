"""One GPU per ``--jobs`` worker (issue 15, item 3): every worker used to run on cuda:0."""

from __future__ import annotations

import multiprocessing
import os
import uuid
from pathlib import Path

import optuna
import pytest
import torch

from ganlab.config import load_config
from ganlab.errors import ConfigError
from ganlab.study import RunContext, _gpus, optimize_study
from ganlab.study._gpus import GPU_ATTR, assign_gpus, only_gpu, parse_gpus


@pytest.fixture
def four_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine that reports four CUDA devices (faked: the test runs on the CPU)."""
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)


def test_workers_get_gpus_round_robin(four_gpus: None) -> None:
    assert assign_gpus(6, None, "auto") == ["0", "1", "2", "3", "0", "1"]
    assert assign_gpus(3, ["2", "3"], "cuda") == ["2", "3", "2"]
    assert assign_gpus(2, None, "cpu") == [None, None]
    assert assign_gpus(2, None, "cuda:1") == [None, None]  # an explicit index is kept
    with pytest.raises(ConfigError, match="GPU 7 is not visible"):
        assign_gpus(2, ["0", "7"], "cuda")
    assert parse_gpus("0, 1,") == ["0", "1"] and parse_gpus(None) is None


def test_visible_devices_restrict_the_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    assert assign_gpus(3, None, "auto") == ["2", "3", "2"]
    assert _gpus.device_in_process("3") == "cuda:1"
    with pytest.raises(ConfigError, match="not visible"):
        assign_gpus(1, ["0"], "cuda")


def _report_visible(path: str) -> None:
    Path(path).write_text(os.environ.get("CUDA_VISIBLE_DEVICES", "unset"))


@pytest.mark.slow  # spawns processes; the round-robin and masking units are tested above
def test_each_child_process_starts_with_only_its_gpu(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    before = os.environ.get("CUDA_VISIBLE_DEVICES")
    procs = []
    for i, gpu in enumerate(["1", "0"]):
        p = ctx.Process(target=_report_visible, args=(str(tmp_path / f"w{i}"),))
        with only_gpu(gpu):
            p.start()
        procs.append(p)
    for p in procs:
        p.join(60)
    assert [(tmp_path / f"w{i}").read_text() for i in range(2)] == ["1", "0"]
    assert os.environ.get("CUDA_VISIBLE_DEVICES") == before  # the parent is untouched


@pytest.mark.gpu
@pytest.mark.slow
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_jobs_2_pins_one_gpu_per_worker(write_study, tmp_path: Path) -> None:
    """With two GPUs, the two workers' trials run on different GPUs (one GPU: both on it)."""
    name = f"gpu-{uuid.uuid4().hex[:6]}"
    cfg = load_config(write_study(name, n_trials=6))
    summary = optimize_study(cfg, RunContext.from_config(cfg, jobs=2, device="cuda"), n_trials=6)
    assert summary.n_finished >= 6
    trials = summary.study.get_trials()
    used = {t.user_attrs.get(GPU_ATTR) for t in trials
            if t.state == optuna.trial.TrialState.COMPLETE}
    expected = set(assign_gpus(2, None, "cuda"))
    assert used <= expected
    if torch.cuda.device_count() >= 2:
        assert len(used) == 2


def _run_cli(*args: str) -> tuple[int, str]:
    from typer.testing import CliRunner

    from ganlab.cli import app

    result = CliRunner().invoke(app, ["study", "run", *args])
    return result.exit_code, " ".join(result.output.split())


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks a machine without CUDA")
def test_gpus_without_cuda_is_one_line_at_start(write_study) -> None:
    path = write_study()
    code, out = _run_cli(str(path), "--gpus", "0", "--device", "auto", "--jobs", "2")
    assert code == 1
    assert "--gpus: gpus 0: this machine has no CUDA GPU visible to torch" in out
    assert "Traceback" not in out and "preprocessing" not in out  # refused before any work


def test_more_gpus_than_the_machine_has_is_one_line_at_start(write_study, four_gpus: None
                                                             ) -> None:
    path = write_study()
    code, out = _run_cli(str(path), "--gpus", "3,4", "--device", "cuda", "--jobs", "4")
    assert code == 1 and "--gpus: gpus 3,4: GPU 4 is not visible (visible: 0, 1, 2, 3)" in out
    code, out = _run_cli(str(path), "--gpus", "0", "--device", "cpu")
    assert code == 1 and "--gpus: gpus 0: the study runs on the CPU (device cpu)" in out
    assert "Traceback" not in out
