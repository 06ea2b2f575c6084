"""Baselines: other classifiers (e.g. timm models) on the study's split and seeds.

Each baseline is the study file's configuration with ``classifier.model`` replaced (and
``classifier.epochs`` when ``baselines.epochs`` is set), run through the same pipeline as every
trial: same split, same data mode, same GANs (shared through the GAN cache), same seeds.
Results are reported beside the best trial, like the paper's Table 5.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

from ganlab.io import atomic_write_json
from ganlab.study._layout import StudyLayout
from ganlab.study.experiments._ablation import TABLE_METRICS
from ganlab.study.experiments._cached_runs import cached_run, run_error
from ganlab.study.experiments._stats import mean_ci
from ganlab.study.pipeline._run_pipeline import load_run
from ganlab.study.storage._storage import record_unless_optimised

if TYPE_CHECKING:
    from ganlab.config import Config, PluginRef
    from ganlab.study._context import RunContext


def baseline_name(ref: PluginRef) -> str:
    """Folder-safe name: ``timm-resnet18`` for ``{name = "timm", model = "resnet18"}``."""
    model = ref.params.get("model") or ref.params.get("model_name")
    text = f"{ref.name}-{model}" if model else ref.name
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)


def baseline_config(cfg: Config, ref: PluginRef) -> Config:
    """The study config with the classifier replaced by the baseline ``ref``."""
    clf = dataclasses.replace(cfg.classifier, model=ref, enabled=True)
    if cfg.baselines is not None and cfg.baselines.epochs is not None:
        clf = dataclasses.replace(clf, epochs=cfg.baselines.epochs)
    return dataclasses.replace(cfg, classifier=clf)


def run_baselines(cfg: Config, ctx: RunContext) -> dict[str, Any]:
    """Train every missing (baseline, seed) run and write ``baselines/results.json``."""
    layout = StudyLayout.of_config(cfg)
    record_unless_optimised(cfg, layout)
    assert cfg.baselines is not None
    for ref in cfg.baselines.models:
        b_cfg = baseline_config(cfg, ref)
        name = baseline_name(ref)
        for seed in cfg.baselines.seeds:
            cached_run(b_cfg, out_dir=layout.baselines / name / f"seed-{seed}", seed=seed,
                       layout=layout, device=ctx.device, label=f"baseline {name}",
                       stage="baselines", on_event=ctx.on_event, pipeline=ctx.pipeline)
    return write_baseline_table(cfg)


def write_baseline_table(cfg: Config) -> dict[str, Any]:
    """Summarise stored baseline runs (mean, 95% logit-t interval over seeds); no training."""
    layout = StudyLayout.of_config(cfg)
    rows = []
    for ref in cfg.baselines.models if cfg.baselines else ():
        name = baseline_name(ref)
        runs, errors = [], []
        for seed in cfg.baselines.seeds:  # type: ignore[union-attr]
            run_dir = layout.baselines / name / f"seed-{seed}"
            run = load_run(run_dir)
            if run is not None:
                runs.append(run)
            elif (err := run_error(run_dir)) is not None:
                errors.append(f"seed {seed}: {err}")
        rows.append({
            "name": name,
            "model": ref.as_dict(),
            "n_seeds": len(runs),
            "runs": [r["dir"] for r in runs],
            "metrics": {m: mean_ci([r["metrics"].get(f"test.{m}", float("nan")) for r in runs],
                                   bounds=(0.0, 1.0))
                        for m in TABLE_METRICS},
            "val_roc_auc": mean_ci([r["metrics"].get("val.roc_auc", float("nan"))
                                    for r in runs], bounds=(0.0, 1.0)),
            "errors": errors,
        })
    out = {"rows": rows, "seeds": list(cfg.baselines.seeds) if cfg.baselines else []}
    atomic_write_json(layout.baselines / "results.json", out)
    return out
