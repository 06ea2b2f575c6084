"""Two worker processes on one PostgreSQL-backed study: no trial lost or duplicated, and no
parameter set drawn twice (both workers used to seed their samplers with ``study.seed``)."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState
from study_helpers import PG_URL, postgres_up, run_cli_subprocess

from ganlab.study import StudyLayout
from ganlab.study.storage._storage import database_url

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not postgres_up(), reason="no PostgreSQL server on 127.0.0.1:5432 "
                       "(.ci/run installs and starts one)"),
]


@pytest.mark.slow
def test_two_workers_share_one_postgres_study(write_study, tmp_path: Path) -> None:
    name = f"pg-{uuid.uuid4().hex[:10]}"
    study_file = write_study(name, n_trials=6)
    procs = [run_cli_subprocess("study", "run", str(study_file), "--storage", PG_URL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(2)]
    try:
        outs = [p.communicate(timeout=300)[0] for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outs
        study = optuna.load_study(study_name=name, storage=database_url(PG_URL))
        trials = study.get_trials()
        assert [t.number for t in trials] == list(range(len(trials)))  # no duplicate numbers
        complete = [t for t in trials if t.state == TrialState.COMPLETE]
        assert 6 <= len(complete) <= 7  # two workers may start one trial in the same instant
        assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
        assert len({t.user_attrs["ganlab:pid"] for t in complete}) == 2  # both took part
        params = [tuple(sorted(t.params.items())) for t in trials]
        assert len(set(params)) == len(params)  # 0 duplicated parameter sets (continuous space)
        layout = StudyLayout.of(name, tmp_path / "runs")
        for t in complete:  # every trial's results are stored once, under its own number
            metrics = json.loads((layout.trial_dir(t.number) / "metrics.json").read_text())
            assert metrics["val.roc_auc"] == pytest.approx(t.values[0])
        dirs = sorted(p.name for p in (layout.root / "trials").iterdir())
        assert dirs == [f"{t.number:04d}" for t in trials]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        try:
            optuna.delete_study(study_name=name, storage=database_url(PG_URL))
        except KeyError:
            pass
