"""A password in the study file never reaches the disk (issue 12, fault 1)."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest
from study_helpers import drop_pg_study, postgres_up, run_cli_subprocess

SECRET = "s3cr3t-Pw-" + uuid.uuid4().hex[:6]

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not postgres_up(), reason="no PostgreSQL server on 127.0.0.1:5432"),
]


def _run(*args: str, env: dict[str, str] | None = None) -> str:
    proc = run_cli_subprocess(*args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, env={**os.environ, **(env or {})})
    out = proc.communicate(timeout=300)[0]
    assert proc.returncode == 0, out
    return out


def _leaks(runs: Path) -> list[str]:
    """Every file under ``runs`` that holds the password (grep of every file)."""
    return [str(p) for p in runs.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]


def test_no_secret_in_any_file_after_a_study_whose_file_holds_a_password(
    write_study, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GANLAB_STORAGE", raising=False)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    name = f"secret-{uuid.uuid4().hex[:10]}"
    url = f"postgresql://postgres:{SECRET}@127.0.0.1:5432/test"  # trust auth ignores it
    study_file = write_study(name, n_trials=1)
    text = study_file.read_text().replace('[study]\n', f'[study]\nstorage = "{url}"\n', 1)
    study_file.write_text(text)
    runs = tmp_path / "runs"
    try:
        outs = [_run("study", "run", str(study_file))]
        assert _leaks(runs) == []  # study.json and the trial's config.json
        # reopening: the password comes from libpq's PGPASSWORD, never from a file of ganlab's
        env = {"PGPASSWORD": SECRET}
        outs.append(_run("study", "show", name, "--output", str(runs), env=env))
        outs.append(_run("study", "list", "--output", str(runs), env=env))
        outs.append(_run("study", "report", name, "--output", str(runs), env=env))
        files = [p for p in runs.rglob("*") if p.is_file()]
        assert any(p.name == "study.json" for p in files)
        assert any(p.name == "config.json" for p in files)
        assert any(p.name == "report.md" for p in files)
        assert _leaks(runs) == []
        assert not [o for o in outs if SECRET in o]
        assert ":***@" in (runs / name / "study.json").read_text()
    finally:
        drop_pg_study(name)
