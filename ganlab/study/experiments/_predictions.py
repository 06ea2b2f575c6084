"""Stored predictions of a run (``predictions.csv``), aligned by sample id."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ganlab.errors import GanlabError, StateFileError
from ganlab.io import read_state


@dataclass(frozen=True)
class SplitPredictions:
    """Probabilities of the positive class on one split, sorted by sample id."""

    ids: tuple[str, ...]
    labels: np.ndarray  # int64 (n,)
    probs: np.ndarray  # float64 (n,)


@dataclass(frozen=True)
class RunPredictions:
    """A run's validation and test predictions and its decision threshold."""

    name: str
    val: SplitPredictions
    test: SplitPredictions
    threshold: float


def read_predictions(path: Path, *, name: str, threshold: float = 0.5) -> RunPredictions:
    """Read ``sample_id, path, label, prob_positive, split`` rows into val and test arrays."""
    if not path.is_file():
        raise GanlabError(f"{path}: predictions file missing; rerun `ganlab study run`")
    rows: dict[str, list[tuple[str, int, float]]] = {"val": [], "test": []}
    table = read_state(path, what="predictions file", fmt="csv",
                       columns=("sample_id", "label", "prob_positive", "split"))
    try:
        for row in table:
            if row["split"] in rows:
                rows[row["split"]].append(
                    (row["sample_id"], int(row["label"]), float(row["prob_positive"]))
                )
    except (TypeError, ValueError) as exc:
        raise StateFileError(f"{path}: corrupt predictions file: {exc}; rerun the run that "
                             "wrote it (delete its metrics.json)") from None

    def split(items: list[tuple[str, int, float]]) -> SplitPredictions:
        items.sort()
        return SplitPredictions(
            tuple(i for i, _, _ in items),
            np.array([y for _, y, _ in items], dtype=np.int64),
            np.array([p for _, _, p in items], dtype=np.float64),
        )

    return RunPredictions(name, split(rows["val"]), split(rows["test"]), threshold)


def check_aligned(runs: list[RunPredictions], splits: tuple[str, ...] = ("val", "test")) -> None:
    """All runs must score the same samples of ``splits`` (one shared split)."""
    for run in runs[1:]:
        for s in splits:
            if getattr(run, s).ids != getattr(runs[0], s).ids:
                raise GanlabError(
                    f"{run.name} and {runs[0].name} scored different {s} samples; members of an "
                    "ensemble or comparison must share the study's split"
                )
