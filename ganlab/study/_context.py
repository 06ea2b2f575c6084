"""What a job takes from its environment, resolved once at the edge: :class:`RunContext`.

A command line or a Python caller builds one context per job (:meth:`RunContext.from_config`):
the device is resolved there and only there (``--device``, else ``study.device``), the GPU of
each worker process is chosen there, and the storage URL, the trackers, the progress sink and
the per-run pipeline travel with it. Everything below takes the context instead of reading
``cfg.study.device`` again or passing these settings on one by one.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import ganlab.device
from ganlab.errors import ConfigError
from ganlab.study._gpus import assign_gpus, device_in_process
from ganlab.study._layout import StudyLayout
from ganlab.study.events import Event, EventFn
from ganlab.study.pipeline._run_pipeline import RunResult, run_pipeline
from ganlab.tracking import Trackers

if TYPE_CHECKING:
    import torch

    from ganlab.config import Config

PipelineFn = Callable[..., RunResult]
"""One run: ``pipeline(cfg, *, out_dir, work_dir, device, seed, report, gan_dir) -> RunResult``
(the signature of :func:`~ganlab.study.run_pipeline`)."""


def ignore_event(_event: Event) -> None:
    """The progress sink that shows nothing."""


def _resolve(setting: str) -> torch.device:
    return ganlab.device.resolve_device(setting)  # looked up per call: tests count the calls


@dataclass(frozen=True)
class RunContext:
    """The environment of one job (build it with :meth:`from_config` or :meth:`local`).

    Args:
        device: The torch device of the work in this process (resolved once).
        layout: Where the study keeps its files (``None`` for jobs without a study file).
        workers: The GPU of each worker process (``None``: not pinned); its length is the
            number of workers (``--jobs``).
        threads: Torch threads of each worker process (default: the cores shared out).
        storage: The Optuna storage URL (``None``: the study's journal file).
        trackers: TensorBoard and MLflow (``study.tensorboard``, ``study.mlflow``).
        on_event: The progress sink: receives :mod:`ganlab.study.events` events.
        pipeline: The function that runs one trial, baseline or ablation run. The default is
            :func:`~ganlab.study.run_pipeline`; another function with its signature runs the
            study over another pipeline (it must write ``metrics.json`` last, as that one does).
    """

    device: torch.device
    layout: StudyLayout | None = None
    workers: tuple[str | None, ...] = (None,)
    threads: int | None = None
    storage: str | None = None
    trackers: Trackers = field(default_factory=Trackers)
    on_event: EventFn = ignore_event
    pipeline: PipelineFn = run_pipeline

    @classmethod
    def from_config(
        cls,
        cfg: Config,
        *,
        device: str | None = None,
        jobs: int = 1,
        gpus: list[str] | None = None,
        storage: str | None = None,
        threads: int | None = None,
        on_event: EventFn | None = None,
        pipeline: PipelineFn | None = None,
    ) -> RunContext:
        """The context of a job on ``cfg``; option errors are raised here, before any work.

        Args:
            cfg: The loaded study file.
            device: ``auto``, ``cpu``, ``cuda`` or ``cuda:N`` (default ``study.device``).
            jobs: Worker processes (``study run --jobs``).
            gpus: GPU ids the workers are pinned to, round-robin (default: every visible GPU).
            storage: Storage URL (default ``study.storage``, else the journal file).
            threads: Torch threads of each worker process.
            on_event: Progress sink (default: none).
            pipeline: The per-run function (default :func:`~ganlab.study.run_pipeline`).
        """
        if jobs < 1:
            raise ConfigError(f"expected at least 1 worker, got {jobs}", path="jobs")
        setting = device or cfg.study.device
        resolved = _resolve(setting)  # "cuda" without a GPU fails here
        workers = tuple(assign_gpus(jobs, gpus, setting))  # GPUs this machine lacks fail here
        url = storage if storage is not None else cfg.study.storage
        if jobs > 1 and url == ":memory:":
            raise ConfigError("more than one worker needs a shared storage, not ':memory:'",
                              path=("jobs", "study.storage"),
                              hint="use the default journal or a database URL, or one worker")
        if jobs == 1 and workers[0] is not None and gpus:
            import torch

            resolved = torch.device(device_in_process(workers[0]))  # the one GPU asked for
        return cls(resolved, StudyLayout.of_config(cfg), workers, threads, url,
                   Trackers.of(cfg.study), on_event or ignore_event, pipeline or run_pipeline)

    @classmethod
    def local(cls, *, device: str = "auto", on_event: EventFn | None = None) -> RunContext:
        """The context of a job without a study file (scoring a checkpoint on a folder)."""
        return cls(_resolve(device), on_event=on_event or ignore_event)

    @property
    def jobs(self) -> int:
        """The number of worker processes."""
        return len(self.workers)

    @property
    def study(self) -> StudyLayout:
        """The study's layout (an error for a context without a study file)."""
        if self.layout is None:
            raise ConfigError("this job needs a study file's context: "
                              "RunContext.from_config(cfg)")
        return self.layout

    def reporting_to(self, on_event: EventFn) -> RunContext:
        """This context with ``on_event`` as its progress sink."""
        return dataclasses.replace(self, on_event=on_event)

    def worker_threads(self) -> int:
        """Torch threads of each worker process: ``threads``, else this machine's cores
        shared out among the workers."""
        return self.threads or max(1, (os.cpu_count() or 1) // self.jobs)

    def for_worker(self, gpu: str | None) -> RunContext:
        """The context a worker process starts from: its GPU (``CUDA_VISIBLE_DEVICES`` holds
        just that one, so it is ``cuda``), no progress sink (it reports through its pipe)."""
        device = self.device
        if gpu is not None:
            import torch

            device = torch.device("cuda")
        return dataclasses.replace(self, device=device, workers=(gpu,), on_event=ignore_event)
