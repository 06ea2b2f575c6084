"""A corrupt line in the middle of the journal (issue 12, fault 4).

Every command used to end in a 25-frame ``JSONDecodeError`` traceback naming no file. Now each
names the file and the byte offset, and ``ganlab study repair`` keeps a copy and recovers every
intact record.
"""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState
from study_helpers import fake_pipeline as _fake_pipeline
from typer.testing import CliRunner

from ganlab.cli import app
from ganlab.config import load_config
from ganlab.study import RunContext, StudyLayout, open_storage, optimize_study

optuna.logging.set_verbosity(optuna.logging.ERROR)
runner = CliRunner()




def _snapshot(layout: StudyLayout) -> dict[int, tuple]:
    storage = open_storage(None, layout)
    trials = storage.get_all_trials(storage.get_all_studies()[0]._study_id)
    return {t.number: (t.state, t.values, t.params) for t in trials}


def _line_of(journal: Path, predicate) -> tuple[int, bytes]:
    """(byte offset, line) of the first journal record matching ``predicate``."""
    offset = 0
    for line in journal.read_bytes().splitlines(keepends=True):
        if predicate(json.loads(line)):
            return offset, line
        offset += len(line)
    raise AssertionError("no such record")


@pytest.mark.parametrize("victim", [
    "user_attr",
    pytest.param("create_trial", marks=pytest.mark.slow),  # the same repair, another line
])
def test_corrupt_middle_line_is_named_and_repair_recovers_every_intact_trial(
    write_study, tmp_path: Path, victim: str
) -> None:
    runs = tmp_path / "runs"
    cfg = load_config(write_study("corrupt", n_trials=5))
    optimize_study(cfg, RunContext.from_config(cfg, pipeline=_fake_pipeline), n_trials=5)
    layout = StudyLayout.of("corrupt", runs)
    before = _snapshot(layout)
    creates = iter(range(100))
    if victim == "user_attr":  # trial 2's "dir" attribute: the trial itself stays intact
        def pick(r: dict) -> bool:
            return r["op_code"] == 8 and r["trial_id"] == 2 and "dir" in r["user_attr"]
    else:  # trial 2's creation record: later records name a trial that does not exist
        def pick(r: dict) -> bool:
            return r["op_code"] == 4 and next(creates) == 2
    offset, line = _line_of(layout.journal, pick)
    data = layout.journal.read_bytes()
    garbage = line[: len(line) // 2] + b"\x00#garbage\n"
    layout.journal.write_bytes(data[:offset] + garbage + data[offset + len(line):])
    original = layout.journal.read_bytes()

    for args in (["study", "show", "corrupt"], ["study", "list"], ["study", "report", "corrupt"]):
        result = runner.invoke(app, [*args, "--output", str(runs)])
        text = result.output
        if args[1] == "list":  # list survives: the study shows with no trials
            assert result.exit_code == 0, text
            continue
        assert result.exit_code == 1, text
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in text
        assert str(layout.journal) in text.replace("\n", "") and f"byte {offset}" in text

    result = runner.invoke(app, ["study", "repair", "corrupt", "--output", str(runs)])
    assert result.exit_code == 0, result.output
    backups = list(layout.root.glob("optuna.journal.bak-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == original  # a copy is kept

    after = _snapshot(layout)
    if victim == "user_attr":
        assert after == before  # every trial recovered with its state, values and params
    else:
        assert after[2][0] == TrialState.COMPLETE
        assert after == before  # the placeholder creation keeps every number and record
    result = runner.invoke(app, ["study", "show", "corrupt", "--output", str(runs)])
    assert result.exit_code == 0, result.output
