"""Estimate a whole study's time from measured step times and its stage graph.

The stage graph is read from the study file with ganlab's own rules: the trials (``n_trials``
classifiers, all on the GAN of ``gan_cache_key(cfg, study.seed)``: the search space changes
classifier keys only in the paper study), the baselines (model x seed, no GAN unless their
classifier needs one) and the ablation cells (cell x seed; a GAN is trained once per distinct
``gan_cache_key``, so the base cell at the study seed reuses the trials' GAN). The ensemble
combines stored predictions and trains nothing. Each GAN and classifier is a job of
``epochs x images`` at a measured cost per training image of its model; a classifier waits for
the GAN it uses. The jobs are list-scheduled on W workers (longest remaining path first) and
the makespan is printed, with the counts of GANs and classifiers and their epochs and steps.

What it leaves out: early stopping (classifiers are counted at their full epochs, an upper
bound), the trials' sampled ``classifier.mode`` (taken at the base value), data preparation,
and, for GANs, the per-epoch bookkeeping (samples, grids, checkpoints): the GAN's cost is its
training steps (``history.json`` ``seconds``). W workers on one GPU are assumed not to slow
one another (an optimistic bound once the GPU is busy).

    python benchmarks/schedule_estimate.py studies/paper.toml --profile gpu \\
        --gan runs/paper/gan-cache/KEY/history.json \\
        --classifier discriminator=runs/paper/trials/.../checkpoint.pt --workers 1,2,4
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PAPER_IMAGES = 2637  # the ISIC benign/malignant train folder


@dataclass(frozen=True)
class Job:
    """One training run: a GAN or a classifier."""

    name: str
    model: str  # the step-time key: "gan" or the classifier's (``model_key``)
    epochs: int
    images: int  # training images per epoch
    batch: int
    needs: tuple[str, ...] = ()  # jobs that must finish first (the GAN a classifier uses)

    @property
    def steps_per_epoch(self) -> int:
        return max(1, math.ceil(self.images / self.batch))


def model_key(ref: Any) -> str:
    """``timm-resnet18`` for ``{name = "timm", model = "resnet18"}``, else the plugin name."""
    model = ref.params.get("model") or ref.params.get("model_name")
    return f"{ref.name}-{model}" if model else ref.name


def _gan_job(cfg: Any, seed: int, n_train: int, gans: dict[str, Job]) -> str:
    from ganlab.study.pipeline import gan_cache_key

    key = gan_cache_key(cfg, seed)
    if key not in gans:
        batch = cfg.gan.batch_size  # the GAN drops the last partial batch
        gans[key] = Job(f"gan-{len(gans)}", "gan", cfg.gan.epochs, n_train // batch * batch, batch)
    return gans[key].name


def _classifier_job(name: str, cfg: Any, seed: int, n_train: int, gans: dict[str, Job]) -> Job:
    from ganlab.study.pipeline import needs_gan

    clf = cfg.classifier
    images = n_train
    if clf.mode == "real+synthetic":
        images = n_train + round(n_train * clf.synthetic_ratio)
    needs = (_gan_job(cfg, seed, n_train, gans),) if needs_gan(cfg) else ()
    return Job(name, model_key(clf.model), clf.epochs, images, clf.batch_size, needs)


def study_jobs(cfg: Any, *, n_images: int = PAPER_IMAGES) -> list[Job]:
    """Every GAN and classifier ``cfg``'s study trains (trials, baselines, ablation)."""
    from ganlab.study.experiments._ablation import ablation_cells
    from ganlab.study.experiments._baselines import baseline_config, baseline_name
    from ganlab.study.optimize._space import apply_values

    split = cfg.data.split
    n_train = round(n_images * (1 - split.val - split.test))
    gans: dict[str, Job] = {}
    jobs = [_classifier_job(f"trial-{i}", cfg, cfg.study.seed, n_train, gans)
            for i in range(cfg.study.n_trials)]
    if cfg.baselines is not None:
        for ref in cfg.baselines.models:
            b_cfg = baseline_config(cfg, ref)
            jobs += [_classifier_job(f"baseline-{baseline_name(ref)}-{seed}", b_cfg, seed,
                                     n_train, gans) for seed in cfg.baselines.seeds]
    if cfg.ablation is not None and cfg.ablation.factors:
        for cell in ablation_cells(cfg):
            cell_cfg = apply_values(cfg, cell.values)
            jobs += [_classifier_job(f"ablation-{cell.id}-{seed}", cell_cfg, seed, n_train, gans)
                     for seed in cfg.ablation.seeds]
    return list(gans.values()) + jobs


def list_schedule(jobs: list[Job], seconds: Callable[[Job], float],
                  workers: int) -> tuple[float, dict[str, tuple[float, float, int]]]:
    """Makespan and ``{job: (start, end, worker)}`` of a list schedule on ``workers``.

    A job is ready once the jobs it needs have ended; a free worker takes the ready job with
    the longest remaining path (its own time plus the longest chain of jobs waiting on it).
    """
    by_name = {j.name: j for j in jobs}
    users: dict[str, list[str]] = {j.name: [] for j in jobs}
    for j in jobs:
        for dep in j.needs:
            users[dep].append(j.name)
    rank: dict[str, float] = {}

    def path(name: str) -> float:
        if name not in rank:
            rank[name] = seconds(by_name[name]) + max((path(u) for u in users[name]), default=0)
        return rank[name]

    ends: dict[str, float] = {}
    placed: dict[str, tuple[float, float, int]] = {}
    free = [(0.0, w) for w in range(workers)]
    left = sorted(jobs, key=lambda j: -path(j.name))
    while left:
        t, w = heapq.heappop(free)
        ready = [j for j in left if all(d in ends for d in j.needs)]
        # A job whose GAN is still training starts when it ends (never before this worker frees).
        job = min(ready, key=lambda j: (max([t, *(ends[d] for d in j.needs)]), -path(j.name)))
        start = max([t, *(ends[d] for d in job.needs)])
        ends[job.name] = start + seconds(job)
        placed[job.name] = (start, ends[job.name], w)
        left.remove(job)
        heapq.heappush(free, (ends[job.name], w))
    return max(ends.values(), default=0.0), placed


def per_image_seconds(*, gan_history: Path | None,
                      classifiers: Mapping[str, Path]) -> dict[str, float]:
    """Seconds per training image of each model, from a GAN ``history.json`` (training steps)
    and classifier ``checkpoint.pt`` files (whole epochs: training and validation)."""
    out: dict[str, float] = {}
    if gan_history is not None:
        rows = json.loads(Path(gan_history).read_text())
        rows = rows[1:] or rows  # the first epoch holds the warm-up (cuDNN autotuning)
        out["gan"] = sum(r["seconds"] for r in rows) / sum(r["img_per_s"] * r["seconds"]
                                                          for r in rows)
    for key, path in classifiers.items():
        import torch

        rows = torch.load(path, map_location="cpu", weights_only=True)["history"]
        rows = rows[1:] or rows
        out[key] = sum(r["wall_seconds"] for r in rows) / sum(r["img_per_s"] * r["seconds"]
                                                             for r in rows)
    return out


def describe(jobs: list[Job]) -> list[str]:
    """Lines: how many GANs and classifiers, with their epochs and steps per epoch."""
    groups: dict[tuple, int] = {}
    for j in jobs:
        kind = "GAN" if j.model == "gan" else f"classifier {j.model}"
        key = (kind, j.epochs, j.steps_per_epoch, j.batch)
        groups[key] = groups.get(key, 0) + 1
    return [f"{n:3d} x {kind}: {epochs} epochs x {steps} steps (batch {batch})"
            for (kind, epochs, steps, batch), n in sorted(groups.items())]


def estimate(jobs: list[Job], cost: Mapping[str, float], workers: list[int]) -> list[str]:
    """Lines: the makespan on each worker count (models without a measured cost use the
    slowest measured classifier's, and are named)."""
    clf = [v for k, v in cost.items() if k != "gan"]
    fallback = max(clf) if clf else cost.get("gan", 0.0)
    missing = sorted({j.model for j in jobs if j.model not in cost})

    def seconds(job: Job) -> float:
        return job.epochs * job.images * cost.get(job.model, fallback)

    total = sum(seconds(j) for j in jobs)
    lines = [f"work in all: {total / 60:.1f} min"]
    if missing:
        lines.append(f"not measured, taken at the slowest classifier's cost: {', '.join(missing)}")
    for w in workers:
        span, _ = list_schedule(jobs, seconds, w)
        lines.append(f"W = {w}: {span / 60:.1f} min")
    return lines


def main() -> None:
    from ganlab.config import load_config

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("study", type=Path)
    parser.add_argument("--profile")
    parser.add_argument("--images", type=int, default=PAPER_IMAGES,
                        help="images of the train folder (split by the study's fractions)")
    parser.add_argument("--gan", type=Path, help="a GAN's history.json (measured)")
    parser.add_argument("--classifier", action="append", default=[], metavar="KEY=CHECKPOINT",
                        help="a classifier's checkpoint.pt, e.g. timm-resnet18=PATH")
    parser.add_argument("--workers", default="1,2,4,8")
    args = parser.parse_args()
    cfg = load_config(args.study, profile=args.profile)
    jobs = study_jobs(cfg, n_images=args.images)
    cost = per_image_seconds(gan_history=args.gan, classifiers=dict(
        item.split("=", 1) for item in args.classifier))
    print(f"{args.study} --profile {args.profile}: {len(jobs)} jobs")
    print("\n".join(describe(jobs)))
    print("measured seconds per training image: "
          + ", ".join(f"{k} {v * 1e3:.4f} ms" for k, v in cost.items()))
    print("\n".join(estimate(jobs, cost, [int(w) for w in args.workers.split(",")])))


if __name__ == "__main__":
    main()
