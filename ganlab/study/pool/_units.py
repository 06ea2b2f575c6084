"""Units of work of a study run and how a worker runs them.

A unit is one Optuna trial, one baseline run (model x seed), one ablation run (cell x seed) or
one shared GAN (data + GAN settings + seed, the ``gan-cache/<key>`` folder). A run that needs a
shared GAN depends on its GAN unit: the pool starts it only once the GAN is trained, so one
worker trains each GAN while the others take work that does not need it.

When the study scores its GANs (``gan.metrics``), two more units go with each GAN: its
**references** (the real-data feature network and TRTR classifier, which need no GAN, so they
train beside it) and its **scoring** (TSTR and the feature figures), which needs the trained GAN
but nothing needs it: the GAN's runs start while it scores, and a run that ends first waits for
the figures (a file lock) rather than scoring again.

A trial's GAN is known before the trial starts only when the search space changes nothing the
GAN depends on (no ``data.*``, ``gan.*``, ``classifier.mode``/``enabled``/``model`` path);
otherwise its trials start at once and share the GAN through its file lock, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganlab.errors import GanlabError
from ganlab.io import disk_fault
from ganlab.study._layout import StudyLayout
from ganlab.study.events import EpochEnd, RunStarted, phase_epochs
from ganlab.study.experiments._ablation import ablation_cells
from ganlab.study.experiments._baselines import baseline_config, baseline_name
from ganlab.study.experiments._cached_runs import cached_run
from ganlab.study.optimize._optimize import TrialWorker, load_or_create_study
from ganlab.study.optimize._space import apply_values, expand_search_space
from ganlab.study.pipeline._gan_metrics import wants_gan_metrics
from ganlab.study.pipeline._run_pipeline import (
    describe_fault,
    gan_cache_key,
    load_run,
    needs_gan,
    score_shared_gan,
    train_gan_references,
    train_shared_gan,
)
from ganlab.study.storage._storage import open_storage

if TYPE_CHECKING:
    from ganlab.config import Config
    from ganlab.study._context import RunContext

_TRIAL_GAN_PATHS = ("classifier.mode", "classifier.enabled", "classifier.model",
                    "classifier.model.name")


@dataclass(frozen=True)
class Unit:
    """One unit of work. ``kind``: ``trial``, ``run`` (a baseline/ablation run), ``gan`` (train
    a shared GAN), ``gan-refs`` (its real-data references) or ``gan-score`` (score it)."""

    kind: str
    id: str
    stage: str = "trials"  # trials, gans, baselines or ablation
    cfg: Any = None  # the run's (or GAN's) config; None for a trial
    seed: int = 0
    out_dir: Path | None = None  # the run's folder, or the GAN's gan-cache folder
    label: str = ""
    gan: str | None = None  # the key of the shared GAN it needs (None: none or not known)


GAN_KINDS = ("gan", "gan-refs", "gan-score")
"""The kinds of a shared GAN's units: scheduled before trials and runs."""


TRIAL = Unit("trial", "trial")


def trial_gan(cfg: Config, params: list) -> str | None:
    """The shared GAN every trial of ``cfg`` needs, when the search space cannot change it."""
    for p in params:
        if p.path.startswith(("data.", "gan.")) or p.path in _TRIAL_GAN_PATHS:
            return None
    return gan_cache_key(cfg, cfg.study.seed) if needs_gan(cfg) else None


def plan_runs(cfg: Config, layout: StudyLayout) -> list[Unit]:
    """The baseline and ablation runs (finished ones too), in the order ``--jobs 1`` runs them."""

    units: list[Unit] = []
    if cfg.baselines is not None and cfg.baselines.models:
        for ref in cfg.baselines.models:
            b_cfg, name = baseline_config(cfg, ref), baseline_name(ref)
            units += [_run("baselines", b_cfg, layout.baselines / name / f"seed-{seed}", seed,
                           f"baseline {name}") for seed in cfg.baselines.seeds]
    if cfg.ablation is not None and cfg.ablation.factors:
        for cell in ablation_cells(cfg):
            c_cfg = apply_values(cfg, cell.values)
            units += [_run("ablation", c_cfg, layout.ablation / cell.id / f"seed-{seed}", seed,
                           cell.label) for seed in cfg.ablation.seeds]
    return units


def _run(stage: str, cfg: Config, out_dir: Path, seed: int, label: str) -> Unit:
    gan = gan_cache_key(cfg, seed) if needs_gan(cfg) else None
    return Unit("run", f"{stage}:{out_dir.parent.name}/{out_dir.name}", stage, cfg, seed,
                out_dir, label, gan)


def plan_gans(layout: StudyLayout, runs: list[Unit], trials: tuple[Config, str] | None
              ) -> list[Unit]:
    """The units of each shared GAN that unfinished work needs (``trials``: the trials' config
    and GAN key), in the order of first need: the GAN, then, when the study scores it, its
    references and its scoring (which waits for the GAN)."""
    needs: list[tuple[str, Config, int]] = []
    if trials is not None:
        needs.append((trials[1], trials[0], trials[0].study.seed))
    needs += [(u.gan, u.cfg, u.seed) for u in runs if u.gan and load_run(u.out_dir) is None]
    units: list[Unit] = []
    seen: set[str] = set()
    for key, cfg, seed in needs:
        if key in seen:
            continue
        seen.add(key)
        gan_dir, label = layout.gan_cache / key, f"GAN {key[:8]}"
        units.append(Unit("gan", f"gan:{key}", "gans", cfg, seed, gan_dir, label))
        if wants_gan_metrics(cfg):
            units += [Unit("gan-refs", f"gan-refs:{key}", "gans", cfg, seed, gan_dir,
                           f"{label} reference classifiers"),
                      Unit("gan-score", f"gan-score:{key}", "gans", cfg, seed, gan_dir,
                           f"{label} scoring", gan=key)]
    return units


class WorkerState:
    """What a worker process keeps between units: the opened study, its trial runner.

    Args:
        cfg: The study file.
        ctx: The worker's context: its device, storage, progress sink (sends an event to the
            parent), trackers and pipeline.
        attrs: User attributes recorded on each trial (run id, GPU).
    """

    def __init__(self, cfg: Config, ctx: RunContext, attrs: dict[str, Any]) -> None:
        self.cfg, self.ctx, self.attrs = cfg, ctx, attrs
        self.layout = StudyLayout.of_config(cfg)
        self.device = ctx.device
        self.emit = ctx.on_event
        self._trials: Any = None

    def run(self, unit: Unit) -> Any:
        """Run ``unit``; a trial returns ``(number, fail reason or None)``, a GAN its failure
        reason (``None`` when trained). A full disk raises :class:`GanlabError`."""

        if unit.kind == "trial":
            return self._trial_worker().run_one()
        if unit.kind in GAN_KINDS:
            return self._gan(unit)
        cached_run(unit.cfg, out_dir=unit.out_dir, seed=unit.seed, layout=self.layout,
                   device=self.device, label=unit.label, stage=unit.stage, on_event=self.emit,
                   pipeline=self.ctx.pipeline)
        return None

    def _gan(self, unit: Unit) -> str | None:
        def report(phase: str, epoch: int, metrics: dict) -> None:
            self.emit(EpochEnd(phase, epoch, dict(metrics), phase_epochs(unit.cfg, phase),
                               label=unit.label, seed=unit.seed))

        where = dict(gan_dir=unit.out_dir, work_dir=self.layout.root, device=self.device,
                     seed=unit.seed)
        if unit.kind != "gan":  # the GAN shows its epochs; these say when they start
            self.emit(RunStarted(unit.label, unit.seed))
        try:
            if unit.kind == "gan":
                train_shared_gan(unit.cfg, report=report, **where)
            elif unit.kind == "gan-refs":
                train_gan_references(unit.cfg, **where)
            else:
                score_shared_gan(unit.cfg, **where)
        except Exception as exc:  # noqa: BLE001 - its runs then fail with the reason
            disk = disk_fault(exc)
            if disk is not None:
                raise GanlabError(disk) from exc
            return describe_fault(exc)
        return None

    def _trial_worker(self) -> Any:
        if self._trials is None:

            params = expand_search_space(self.cfg)
            study = load_or_create_study(self.cfg, open_storage(self.ctx.storage, self.layout),
                                         params=params)
            self._trials = TrialWorker(self.cfg, study, self.layout, params, self.ctx,
                                       attrs=self.attrs)
        return self._trials

    def close(self) -> None:
        if self._trials is not None:
            self._trials.close()
