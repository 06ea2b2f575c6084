"""No credential of a storage URL ever reaches the disk or the output (issues 12 and 25).

Every form a storage URL can carry a secret in: the password of its user part, and secret
query parameters (``password=``, ``sslpassword=``, any case), given in the study file or with
``--storage`` (parameter names in any case: tests/study/storage/test_study_url_redaction.py).
PostgreSQL's trust authentication accepts any password, so a real study runs.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest
from study_helpers import drop_pg_study, postgres_up, run_cli_subprocess

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not postgres_up(), reason="no PostgreSQL server on 127.0.0.1:5432"),
]

# (where the URL is given, URL template with {s} the secret, what the redacted URL shows)
FORMS = {
    "userinfo-in-file": ("file", "postgresql://postgres:{s}@127.0.0.1:5432/test", ":***@"),
    "query-password-flag": ("flag", "postgresql://root@127.0.0.1/test?password={s}",
                            "?password=***"),
    "query-sslpassword-in-file": (
        "file", "postgresql://root@127.0.0.1:5432/test?sslmode=disable&sslpassword={s}",
        "sslpassword=***"),
}


def _run(*args: str, env: dict[str, str] | None = None) -> str:
    proc = run_cli_subprocess(*args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, env={**os.environ, **(env or {})})
    out = proc.communicate(timeout=300)[0]
    assert proc.returncode == 0, out
    assert "Traceback" not in out
    return out


def _leaks(runs: Path, secret: str) -> list[str]:
    """Every file under ``runs`` that holds the secret (grep of every file)."""
    return [str(p) for p in runs.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


@pytest.mark.parametrize("form", list(FORMS))
def test_no_secret_on_disk_or_in_output_for_every_credential_form(
    form: str, write_study, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GANLAB_STORAGE", raising=False)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    where, template, shown = FORMS[form]
    secret = "s3cr3t-Pw-" + uuid.uuid4().hex[:8]
    url = template.format(s=secret)
    name = f"secret-{uuid.uuid4().hex[:10]}"
    study_file = write_study(name, n_trials=1)
    if where == "file":
        text = study_file.read_text().replace("[study]\n", f'[study]\nstorage = "{url}"\n', 1)
        study_file.write_text(text)
    runs = tmp_path / "runs"
    try:
        args = ["study", "run", str(study_file), *(["--storage", url] if where == "flag" else [])]
        outs = [_run(*args)]
        assert _leaks(runs, secret) == []  # study.json and the trial's config.json
        # reopening: the password comes from libpq's PGPASSWORD, never from a file of ganlab's
        env = {"PGPASSWORD": secret}
        outs.append(_run("study", "show", name, "--output", str(runs), env=env))
        outs.append(_run("study", "list", "--output", str(runs), env=env))
        outs.append(_run("study", "list", "--output", str(runs), "--format", "json", env=env))
        outs.append(_run("study", "report", name, "--output", str(runs), env=env))
        files = [p for p in runs.rglob("*") if p.is_file()]
        assert any(p.name == "study.json" for p in files)
        assert any(p.name == "config.json" for p in files)
        assert any(p.name == "report.md" for p in files)
        assert _leaks(runs, secret) == []
        assert [o for o in outs if secret in o] == []
        assert shown in (runs / name / "study.json").read_text()
        assert "1 finished" in outs[0] or "complete" in outs[2].lower()
    finally:
        drop_pg_study(name)
