"""Finding and reading stored studies: ``study list``, ``study show`` and the report's input."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganlab.config import Config, config_from_dict, redact_url
from ganlab.errors import GanlabError, StateFileError
from ganlab.io import read_state
from ganlab.study._layout import StudyLayout
from ganlab.study.optimize._objective import METRIC_ATTR
from ganlab.study.storage._journal import rebuild_journal
from ganlab.study.storage._storage import open_storage, recorded_url
from ganlab.study.storage._workers import fail_reason

if TYPE_CHECKING:
    import optuna



@dataclass(frozen=True)
class StudyInfo:
    """One row of ``ganlab study list``."""

    name: str
    root: Path
    storage: str
    n_complete: int
    n_pruned: int
    n_fail: int
    n_running: int
    best: str
    note: str = ""  # why the trials could not be read (corrupt record or journal, password)


def study_record(name: str, output: str | Path = "runs") -> dict[str, Any]:
    """``runs/<name>/study.json`` (config, storage URL), or an error naming the fix."""
    layout = StudyLayout.of(name, output)
    if not layout.study_json.exists():
        known = ", ".join(s.name for s in _study_dirs(Path(output))) or "none"
        raise GanlabError(
            f"no study {name!r} in {output}/ (studies there: {known})", path="study.output",
            hint="run `ganlab study run FILE` first, or name the study's output folder",
        )
    return read_state(layout.study_json, what="study record")


def study_config(name: str, output: str | Path = "runs") -> Config:
    """The config a study was run with (as recorded in ``study.json``)."""
    rec = study_record(name, output)
    if not isinstance(rec.get("config"), dict):
        raise StateFileError(f"{StudyLayout.of(name, output).study_json}: corrupt study record: "
                             "it holds no config; rerun `ganlab study run FILE` to write it again")
    cfg = config_from_dict(rec["config"], source=rec.get("source") or "<dict>")
    import dataclasses

    study = dataclasses.replace(cfg.study, output=str(output))
    return dataclasses.replace(cfg, study=study)


def open_study(
    name: str, *, output: str | Path = "runs", storage: str | None = None
) -> optuna.Study:
    """Load a stored study from its recorded storage (or ``storage``), only to read it.

    Nothing is written (no lock file, no repair), so a read-only folder can be inspected.
    """
    import optuna

    rec = study_record(name, output)
    url = recorded_url(rec.get("storage"), storage)
    if url == ":memory:":
        raise GanlabError(f"study {name!r} was run in memory; nothing was stored to load")
    store = open_storage(url, StudyLayout.of(name, output), read_only=True)
    try:
        return optuna.load_study(study_name=name, storage=store)
    except KeyError as exc:
        raise GanlabError(
            f"study {name!r} is not in its storage {redact_url(url) or 'journal'}") from exc


def _study_dirs(output: Path) -> list[Path]:
    if not output.is_dir():
        return []
    return sorted(p for p in output.iterdir() if (p / "study.json").exists())


def list_studies(output: str | Path = "runs") -> list[StudyInfo]:
    """Every study recorded under ``output``, with trial counts and the best value."""
    from optuna.trial import TrialState

    rows = []
    for root in _study_dirs(Path(output)):
        rec: dict[str, Any] = {}
        study, note = None, ""
        try:  # one unreadable study is a row with a note, never an error for the others
            rec = study_record(root.name, output)
            study = open_study(root.name, output=output)
            trials = study.get_trials(deepcopy=False)
        except GanlabError as exc:
            trials, note = [], _one_line(exc)
        count = {s: sum(t.state == s for t in trials) for s in TrialState}
        best = "—"
        if study is not None and count[TrialState.COMPLETE]:
            b = study.best_trials[0]
            names = study.metric_names or [f"objective {i}" for i in range(len(b.values))]
            best = f"#{b.number}: " + ", ".join(
                f"{n}={v:.4g}" for n, v in zip(names, b.values, strict=True))
        rows.append(StudyInfo(root.name, root, redact_url(rec.get("storage")) or "journal",
                              count[TrialState.COMPLETE], count[TrialState.PRUNED],
                              count[TrialState.FAIL], count[TrialState.RUNNING], best, note))
    return rows


def _one_line(exc: GanlabError) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def trial_rows(study: optuna.Study) -> list[dict[str, Any]]:
    """One dict per trial: number, state, values, sampled config values, seconds, reason."""
    from optuna.trial import TrialState

    rows = []
    for t in study.get_trials(deepcopy=False):
        rows.append({
            "number": t.number,
            "state": t.state.name,
            "values": list(t.values) if t.values else None,
            "params": t.user_attrs.get("config_values") or t.params,
            "seconds": t.user_attrs.get("seconds"),
            "reason": fail_reason(t) if t.state == TrialState.FAIL else (
                f"pruned at step {t.last_step}" if t.state == TrialState.PRUNED else ""),
            "metrics": trial_metrics(t),
        })
    return rows


def trial_metrics(trial: Any) -> dict[str, float]:
    """A trial's recorded flat metrics (``metric:<name>`` user attributes; older studies kept
    them in one ``metrics`` attribute)."""
    found = {k[len(METRIC_ATTR):]: v for k, v in trial.user_attrs.items()
             if k.startswith(METRIC_ATTR)}
    return found or dict(trial.user_attrs.get("metrics") or {})


def fmt_value(v: Any) -> str:
    """Short text for a number, list or other value in tables."""
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        return ", ".join(fmt_value(x) for x in v)
    return "" if v is None else str(v)


def repair_study(name: str, output: str | Path = "runs") -> dict[str, Any]:
    """Rebuild the journal of study ``name`` from its intact records (see ``rebuild_journal``).

    Returns:
        What was done: ``journal``, ``backup``, ``dropped`` byte offsets, ``placeholders``,
        ``kept`` records.
    """
    rec = study_record(name, output)
    url = rec.get("storage")
    if url is not None and not str(url).endswith(".journal"):
        raise GanlabError(
            f"study {name!r} is stored in {url}, not in a journal file; a database storage "
            "needs no repair by ganlab"
        )
    path = Path(url) if url else StudyLayout.of(name, output).journal
    if not path.is_file():
        raise GanlabError(f"{path}: no journal file to repair")
    return {"journal": path, **rebuild_journal(path)}
