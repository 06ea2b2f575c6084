"""RunContext: the device is resolved once, at the edge; option errors come before any work."""

from __future__ import annotations

import pytest
import torch
from jobs_helpers import instant_pipeline

import ganlab
import ganlab.device
from ganlab.config import load_config
from ganlab.errors import ConfigError
from ganlab.jobs import RunContext, run_study


def test_import_ganlab_gives_the_jobs_on_first_use() -> None:
    assert ganlab.jobs.RunContext is RunContext
    with pytest.raises(AttributeError):
        ganlab.no_such_thing  # noqa: B018


def test_a_study_run_resolves_the_device_exactly_once(study_file, monkeypatch) -> None:
    calls: list[str] = []
    real = ganlab.device.resolve_device

    def counting(name: str = "auto") -> torch.device:
        calls.append(name)
        return real(name)

    monkeypatch.setattr(ganlab.device, "resolve_device", counting)
    cfg = load_config(study_file(n_trials=2, extra="\n[ablation]\nfactors = "
                                 '{"classifier.batch_size" = [16, 8]}\nseeds = [0]\n'))
    ctx = RunContext.from_config(cfg, pipeline=instant_pipeline)
    summary = run_study(cfg, ctx)
    assert summary.stages == ["optimize", "ablation"]
    assert calls == ["cpu"]  # study.device, read once at the edge
    assert ctx.device == torch.device("cpu") and ctx.jobs == 1
    assert ctx.layout is not None and ctx.layout.root.name == "jobs"


def test_the_device_option_wins_over_the_file(study_file) -> None:
    cfg = load_config(study_file())
    assert RunContext.from_config(cfg, device="cpu").device.type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no CUDA GPU") as err:
            RunContext.from_config(cfg, device="cuda")
        assert err.value.paths == ("study.device",)


def test_option_errors_name_their_paths(study_file) -> None:
    cfg = load_config(study_file())
    with pytest.raises(ConfigError) as err:
        RunContext.from_config(cfg, jobs=0)
    assert err.value.paths == ("jobs",)
    with pytest.raises(ConfigError, match="shared storage") as err:
        RunContext.from_config(cfg, jobs=2, storage=":memory:")
    assert err.value.paths == ("jobs", "study.storage")


def test_worker_context_and_threads(study_file) -> None:
    cfg = load_config(study_file())
    ctx = RunContext.from_config(cfg, jobs=2, threads=3)
    assert ctx.workers == (None, None) and ctx.worker_threads() == 3
    worker = ctx.for_worker(None)
    assert worker.device == ctx.device and worker.workers == (None,)
    assert RunContext.from_config(cfg, jobs=2).worker_threads() >= 1


def test_a_context_without_a_study_file_says_so() -> None:
    ctx = RunContext.local(device="cpu")
    assert ctx.device == torch.device("cpu") and ctx.layout is None
    with pytest.raises(ConfigError, match="study file"):
        ctx.study  # noqa: B018
