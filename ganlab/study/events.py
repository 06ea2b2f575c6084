"""Typed progress events of a study run, passed to an ``on_event`` callback.

``ganlab study run`` turns them into a live display on a terminal and into one plain line per
event when its output goes to a file (``nohup ... > log``). Library users get the same objects.
Every event is a frozen dataclass; :data:`Event` is their union.

A run goes through stages, each announced by :class:`StageStarted` and closed by
:class:`StageFinished`: ``preprocessing`` (:class:`StageProgress` per batch of files, then
:class:`DataReady`), ``trials`` (:class:`TrialStarted`, :class:`EpochEnd`...,
:class:`TrialFinished`; :class:`WorkersPolled` with several worker processes), ``baselines``
and ``ablation`` (:class:`RunStarted`, :class:`EpochEnd`..., :class:`RunFinished`) and
``ensembles``. With ``--jobs N`` the stages' work runs on one pool of workers, so the events of
several stages interleave; :class:`StageWaiting` says a stage waits for another run's lock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

STAGES = ("preprocessing", "trials", "baselines", "ablation", "ensembles")


@dataclass(frozen=True)
class StageStarted:
    """A stage begins; ``total`` units of work (files, trials, runs), ``done`` already done."""

    stage: str
    total: int | None = None
    done: int = 0


@dataclass(frozen=True)
class StageProgress:
    """``done`` of ``total`` units of a stage (the files of preprocessing)."""

    stage: str
    done: int
    total: int


@dataclass(frozen=True)
class StageFinished:
    """A stage ends; ``summary`` is one line saying what it produced."""

    stage: str
    summary: str = ""


@dataclass(frozen=True)
class StageWaiting:
    """A stage cannot start yet: ``reason`` says on what it waits (another run's lock)."""

    stage: str
    reason: str


@dataclass(frozen=True)
class DataReady:
    """The study's images are prepared: counts, skipped files and where they are listed."""

    files: int
    usable: int
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count
    skipped_list: str | None = None  # CSV listing every skipped file with its reason
    cache_hit: bool = False


@dataclass(frozen=True)
class TrialStarted:
    """An Optuna trial starts with these sampled config values."""

    trial: int
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrialFinished:
    """A trial ended: ``COMPLETE`` (``values`` by objective name), ``PRUNED`` or ``FAIL``."""

    trial: int
    state: str
    values: dict[str, float] = field(default_factory=dict)
    reason: str = ""
    seconds: float | None = None


@dataclass(frozen=True)
class EpochEnd:
    """One epoch of a phase (``gan`` or ``classifier``) of a trial or of a named run."""

    phase: str
    epoch: int
    metrics: dict[str, Any]
    epochs: int | None = None  # the phase's planned epochs
    trial: int | None = None
    label: str | None = None  # ablation cell or baseline (runs outside Optuna)
    seed: int | None = None
    stage: str | None = None  # the stage of a run outside Optuna: "baselines" or "ablation"

    @property
    def who(self) -> str:
        """``trial 3`` or ``ablation · base seed 1`` (the stage when the event names one)."""
        if self.trial is not None:
            return f"trial {self.trial}"
        return _run_name(self.label, self.seed, self.stage)


@dataclass(frozen=True)
class WorkersPolled:
    """With several worker processes: the study's finished and running trials right now."""

    finished: int
    running: int


@dataclass(frozen=True)
class RunStarted:
    """A baseline or ablation run (``label``, ``seed``) of ``stage`` starts."""

    label: str
    seed: int
    stage: str | None = None

    @property
    def who(self) -> str:
        return _run_name(self.label, self.seed, self.stage)


@dataclass(frozen=True)
class RunFinished:
    """A baseline or ablation run ended: ``COMPLETE``, ``FAIL`` or ``CACHED`` (done before)."""

    label: str
    seed: int
    state: str
    reason: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    stage: str | None = None

    @property
    def who(self) -> str:
        return _run_name(self.label, self.seed, self.stage)


Event = (StageStarted | StageProgress | StageFinished | StageWaiting | DataReady | TrialStarted
         | TrialFinished | EpochEnd | WorkersPolled | RunStarted | RunFinished)
EventFn = Callable[[Event], None]


def _run_name(label: str | None, seed: int | None, stage: str | None) -> str:
    """``ablation · base seed 1``: a run outside Optuna, with its stage when known."""
    run = f"{label} seed {seed}"
    return f"{stage} · {run}" if stage else run


def phase_epochs(cfg: Any, phase: str) -> int | None:
    """Planned epochs of ``phase`` (``gan`` / ``classifier``) in a config, if it says."""
    section = getattr(cfg, phase, None)
    epochs = getattr(section, "epochs", None)
    return epochs if isinstance(epochs, int) else None


def short_metrics(metrics: dict[str, Any], limit: int = 4) -> str:
    """``d_loss=0.612 g_loss=1.21`` from an epoch's numbers (names kept, at most ``limit``)."""
    shown = [(k, v) for k, v in metrics.items()
             if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "epoch"]
    return " ".join(f"{k}={v:.3g}" for k, v in shown[:limit])
