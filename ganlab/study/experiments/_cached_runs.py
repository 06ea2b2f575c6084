"""Cached runs of the pipeline outside Optuna (ablation cells, baselines).

A run whose ``metrics.json`` exists is done and is never repeated, so an interrupted ablation
resumes where it stopped. A failed run leaves ``error.log`` and is retried on the next call.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganlab.errors import GanlabError
from ganlab.io import atomic_write_text, disk_fault
from ganlab.study.events import EpochEnd, EventFn, RunFinished, RunStarted, phase_epochs
from ganlab.study.pipeline._run_pipeline import (
    describe_fault,
    gan_cache_key,
    load_run,
    run_pipeline,
)

if TYPE_CHECKING:
    import torch

    from ganlab.config import Config
    from ganlab.study._context import PipelineFn
    from ganlab.study._layout import StudyLayout

def cached_run(
    cfg: Config,
    *,
    out_dir: Path,
    seed: int,
    layout: StudyLayout,
    device: torch.device,
    label: str,
    stage: str,
    on_event: EventFn | None = None,
    pipeline: PipelineFn = run_pipeline,
) -> dict[str, Any] | None:
    """Run ``cfg`` with ``seed`` into ``out_dir`` unless already done; ``None`` if it failed.

    ``pipeline`` runs it (:attr:`RunContext.pipeline <ganlab.study.RunContext>`).

    The GAN goes to ``gan-cache/<key>/`` so runs with the same data, GAN settings and seed
    train it once. Every event names the run's ``label``, ``seed`` and ``stage``.
    """
    emit = on_event or (lambda _e: None)
    done = load_run(out_dir, on_corrupt="set_aside")  # a corrupt result is run again
    if done is not None:
        emit(RunFinished(label, seed, "CACHED", metrics=done["metrics"], stage=stage))
        return done
    emit(RunStarted(label, seed, stage=stage))

    def report(phase: str, epoch: int, metrics: dict) -> None:
        emit(EpochEnd(phase, epoch, dict(metrics), phase_epochs(cfg, phase), label=label,
                      seed=seed, stage=stage))

    try:
        pipeline(cfg, out_dir=out_dir, work_dir=layout.root, device=device, seed=seed,
                 report=report, gan_dir=layout.gan_cache / gan_cache_key(cfg, seed))
    except Exception as exc:  # noqa: BLE001 - one failed run must not stop the others
        disk = disk_fault(exc)
        if disk is not None:  # the next runs would fail the same way
            raise GanlabError(disk) from exc
        reason = describe_fault(exc)
        out_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out_dir / "error.log",
                          f"{reason}\n\n{''.join(traceback.format_exception(exc))}")
        emit(RunFinished(label, seed, "FAIL", reason=reason, stage=stage))
        return None
    (out_dir / "error.log").unlink(missing_ok=True)
    result = load_run(out_dir)
    emit(RunFinished(label, seed, "COMPLETE", metrics=(result or {}).get("metrics", {}),
                     stage=stage))
    return result


def run_error(out_dir: Path) -> str | None:
    """First line of a failed run's ``error.log``."""
    path = out_dir / "error.log"
    return path.read_text().splitlines()[0] if path.exists() else None
