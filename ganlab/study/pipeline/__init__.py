"""The pipeline of one run: prepare data -> train a GAN (when needed) -> train a classifier,
then the offline GAN metrics of its checkpoint. Optuna trials, ablation cells and baselines all
run through it."""

from __future__ import annotations

from ganlab.study.pipeline._gan_metrics import (
    evaluate_gan,
    flat_gan_metrics,
    wants_gan_metrics,
)
from ganlab.study.pipeline._run_pipeline import (
    RunResult,
    describe_fault,
    flat_metrics,
    gan_cache_key,
    load_run,
    needs_gan,
    run_pipeline,
    score_shared_gan,
    train_gan_references,
    train_shared_gan,
)

__all__ = [
    "RunResult",
    "describe_fault",
    "evaluate_gan",
    "flat_gan_metrics",
    "flat_metrics",
    "gan_cache_key",
    "load_run",
    "needs_gan",
    "run_pipeline",
    "score_shared_gan",
    "train_gan_references",
    "train_shared_gan",
    "wants_gan_metrics",
]
