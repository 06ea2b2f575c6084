"""Ablations: factors varied around the base configuration, each cell over several seeds.

The base is the study file's own configuration (not the best trial), so an ablation answers
"what does this factor do in the configuration I wrote down". ``one_at_a_time`` changes one
factor per cell; ``full_factorial`` runs every combination of levels (plus the base when it is
not one of them). Every cell runs with every seed of ``ablation.seeds`` on the study's one split;
finished runs are cached, so rerunning skips them.

Tables follow the paper's Tables 2-4: test accuracy, precision, recall, F1 and ROC-AUC per cell
as mean and 95% interval over seeds (a t-interval of the logits, so it stays inside [0, 1]),
plus ``Δ vs base``: the paired bootstrap of the metric difference on the same test samples,
averaged over seeds (:func:`ganlab.metrics.seed_paired_bootstrap`).
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ganlab.config import Config, config_to_dict, get_path
from ganlab.errors import ConfigError, GanlabError
from ganlab.io import atomic_write_json
from ganlab.metrics import seed_paired_bootstrap
from ganlab.study._layout import StudyLayout
from ganlab.study.experiments._cached_runs import cached_run, run_error
from ganlab.study.experiments._predictions import check_aligned, read_predictions
from ganlab.study.experiments._stats import holm, mean_ci
from ganlab.study.optimize._space import apply_values
from ganlab.study.pipeline._run_pipeline import load_run
from ganlab.study.storage._storage import record_unless_optimised

if TYPE_CHECKING:
    from ganlab.study._context import RunContext

TABLE_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")


@dataclass(frozen=True)
class Cell:
    """One cell of the design: the base plus ``values`` (config path -> level)."""

    id: str
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        if not self.values:
            return "base"
        return ", ".join(f"{k} = {_fmt(v)}" for k, v in self.values.items())


def _fmt(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else value


def _slug(values: dict[str, Any]) -> str:
    text = "__".join(f"{k}={_fmt(v)}" for k, v in values.items())
    return re.sub(r"[^A-Za-z0-9_.=+-]", "_", text)[:120]


def base_level(raw: dict[str, Any], path: str) -> Any:
    """The base config's value at ``path``; a filter/augmentation step is ``True`` if present."""
    value = get_path(raw, path)
    parent = path.rsplit(".", 1)[0]
    if parent in ("data.filters", "data.augmentations"):
        return value is not None
    return value


def ablation_cells(cfg: Config) -> list[Cell]:
    """The cells of ``cfg.ablation``: the base first, then one cell per changed level."""
    if cfg.ablation is None or not cfg.ablation.factors:
        raise ConfigError(f"{cfg.source}: no [ablation] factors; add [ablation.factors]")
    raw = config_to_dict(cfg)
    factors = cfg.ablation.factors
    for path, levels in factors.items():
        if not levels:
            raise ConfigError(f"{cfg.source}: ablation.factors.\"{path}\": no levels")
    cells = [Cell("base")]
    if cfg.ablation.design == "one_at_a_time":
        for path, levels in factors.items():
            base = base_level(raw, path)
            for level in levels:
                if level != base:
                    cells.append(Cell(_slug({path: level}), {path: level}))
    else:
        bases = {p: base_level(raw, p) for p in factors}
        for combo in itertools.product(*factors.values()):
            values = {p: v for p, v in zip(factors, combo, strict=True) if v != bases[p]}
            if values:
                cells.append(Cell(_slug(values), values))
    return cells


def cell_factor(cell: Cell) -> str | None:
    """The single factor a one-at-a-time cell changes (``None`` for the base)."""
    return next(iter(cell.values)) if len(cell.values) == 1 else None


def run_ablation(cfg: Config, ctx: RunContext) -> dict[str, Any]:
    """Run every missing (cell, seed) of the ablation, then write and return its tables."""
    layout = StudyLayout.of_config(cfg)
    record_unless_optimised(cfg, layout)
    cells = ablation_cells(cfg)
    for cell in cells:
        cell_cfg = apply_values(cfg, cell.values)
        for seed in cfg.ablation.seeds:  # type: ignore[union-attr]
            cached_run(cell_cfg, out_dir=layout.ablation / cell.id / f"seed-{seed}", seed=seed,
                       layout=layout, device=ctx.device, label=cell.label, stage="ablation",
                       on_event=ctx.on_event, pipeline=ctx.pipeline)
    return write_ablation_tables(cfg)


def write_ablation_tables(cfg: Config) -> dict[str, Any]:
    """Summarise the stored ablation runs into ``ablation/results.json`` (no training)."""
    result = ablation_tables(cfg)
    atomic_write_json(StudyLayout.of_config(cfg).ablation / "results.json", result)
    return result


def ablation_tables(cfg: Config) -> dict[str, Any]:
    """The tables of the stored ablation runs, computed without writing anything (reports
    read a study folder that may be read-only).

    Per cell: test metrics over seeds, Δ vs base (the paired bootstrap averaged over seeds and
    one per seed, :data:`DELTA_METRICS`), p-values Holm-adjusted within each factor, and the
    GAN figures of each seed (:data:`GAN_FIGURES`) where they were computed.
    """
    layout = StudyLayout.of_config(cfg)
    seeds = list(cfg.ablation.seeds)  # type: ignore[union-attr]
    runs: dict[str, dict[int, dict]] = {}
    rows = []
    for cell in ablation_cells(cfg):
        runs[cell.id] = {}
        errors = []
        for seed in seeds:
            run_dir = layout.ablation / cell.id / f"seed-{seed}"
            run = load_run(run_dir)
            if run is not None:
                runs[cell.id][seed] = run
            elif (err := run_error(run_dir)) is not None:
                errors.append(f"seed {seed}: {err}")
        metrics = {m: mean_ci([r["metrics"].get(f"test.{m}", float("nan"))
                               for r in runs[cell.id].values()], bounds=(0.0, 1.0))
                   for m in TABLE_METRICS}
        gan = {m: mean_ci([r["metrics"][f"gan.{m}"] for r in runs[cell.id].values()
                           if f"gan.{m}" in r["metrics"]], bounds=b)
               for m, b in (("fid", (0.0, None)), ("kid", (None, None)))}
        rows.append({"cell": cell.id, "label": cell.label, "factor": cell_factor(cell),
                     "values": cell.values, "n_seeds": len(runs[cell.id]), "metrics": metrics,
                     "gan": gan, "gan_per_seed": _gan_per_seed(runs[cell.id]),
                     "errors": errors, "vs_base": {}, "vs_base_per_seed": {}})
    for row in rows[1:]:
        _paired(row, runs[row["cell"]], runs["base"], seeds, seed=cfg.study.seed)
    _holm_within_factors(rows[1:])
    return {"design": cfg.ablation.design, "seeds": seeds,  # type: ignore[union-attr]
            "metrics": list(TABLE_METRICS), "rows": rows}


DELTA_METRICS = ("roc_auc", "accuracy")
"""Metrics whose per-seed Δ vs base and Holm-adjusted p-values the tables carry."""

GAN_FIGURES = ("tstr_roc_auc", "coverage", "recall")
"""GAN figures listed per seed (``gan.<name>`` of a run, where the GAN was scored)."""


def _gan_per_seed(runs: dict[int, dict]) -> dict[str, dict[str, float]]:
    out = {}
    for seed, run in runs.items():
        found = {m: run["metrics"][f"gan.{m}"] for m in GAN_FIGURES
                 if f"gan.{m}" in run["metrics"]}
        if found:
            out[str(seed)] = found
    return out


def _paired(row: dict[str, Any], cell_runs: dict[int, dict], base_runs: dict[int, dict],
            seeds: list[int], *, seed: int) -> None:
    """Fill ``row["vs_base"]`` (averaged over seeds) and ``row["vs_base_per_seed"]``."""
    common = [s for s in seeds if s in base_runs and s in cell_runs
              and cell_runs[s].get("predictions") and base_runs[s].get("predictions")]
    if not common:
        return
    preds = {s: (read_predictions(_p(cell_runs[s]), name="a", threshold=_thr(cell_runs[s])),
                 read_predictions(_p(base_runs[s]), name="b", threshold=_thr(base_runs[s])))
             for s in common}
    try:
        check_aligned([r for pair in preds.values() for r in pair])
    except GanlabError as exc:
        row["vs_base_note"] = str(exc)
        return
    y = preds[common[0]][1].test.labels

    def delta(group: list[int], metric: str) -> dict[str, float]:
        return seed_paired_bootstrap(y, [(preds[s][0].test.probs, preds[s][0].threshold)
                                         for s in group],
                                     [(preds[s][1].test.probs, preds[s][1].threshold)
                                      for s in group], metric, seed=seed)

    for m in TABLE_METRICS:
        row["vs_base"][m] = delta(common, m)
    row["vs_base_per_seed"] = {str(s): {m: delta([s], m) for m in DELTA_METRICS}
                               for s in common}


def _holm_within_factors(rows: list[dict[str, Any]]) -> None:
    """``p_holm`` next to each Δ's p-value: Holm over the cells of one factor (the family)."""
    families: dict[str, list[dict]] = {}
    for row in rows:
        families.setdefault(row["factor"] or "combination", []).append(row)
    for family in families.values():
        for m in TABLE_METRICS:
            members = [r["vs_base"][m] for r in family if m in r["vs_base"]]
            for entry, adjusted in zip(members, holm([e["p_value"] for e in members]),
                                       strict=True):
                entry["p_holm"] = adjusted


def _p(run: dict[str, Any]):
    from pathlib import Path

    return Path(run["predictions"])


def _thr(run: dict[str, Any]) -> float:
    thr = (run.get("classifier_metrics") or {}).get("threshold") or {}
    return float(thr.get("value", 0.5))
