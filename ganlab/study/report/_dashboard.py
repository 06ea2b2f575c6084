"""``ganlab study dashboard``: optuna-dashboard on a study's storage, with its artifacts.

Trials upload their last sample grid and their plots (ROC curve, confusion matrix, training
curves) into a ``FileSystemArtifactStore`` under ``runs/<study>/artifacts`` while they run; the
dashboard shows them on each trial's page.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path

from ganlab.errors import GanlabError
from ganlab.study._layout import StudyLayout
from ganlab.study.report._inspect import study_record
from ganlab.study.storage._storage import open_storage, recorded_url

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def exposure_warning(host: str) -> str | None:
    """The warning for a dashboard bound to ``host`` beyond this machine (``None`` on loopback).

    optuna-dashboard has no authentication: whoever reaches the port sees and can edit the
    study (trials, parameters, notes, artifacts).
    """
    if host in _LOOPBACK or host.startswith("127."):
        return None
    where = "every interface" if host in ("0.0.0.0", "::", "") else f"{host}"
    return (f"warning: the dashboard has no authentication and --host {host} serves it on "
            f"{where}: anyone who can reach this port can read and edit the "
            "study. Prefer the default 127.0.0.1 with an SSH tunnel (ssh -L 8080:127.0.0.1:8080 "
            "HOST).")


def serve_dashboard(
    name: str,
    *,
    output: str | Path = "runs",
    host: str = "127.0.0.1",
    port: int = 8080,
    storage: str | None = None,
) -> None:
    """Serve optuna-dashboard for study ``name`` until interrupted (blocks)."""
    import optuna_dashboard
    from optuna.artifacts import FileSystemArtifactStore

    rec = study_record(name, output)
    layout = StudyLayout.of(name, output)
    url = recorded_url(rec.get("storage"), storage)
    if url == ":memory:":
        raise GanlabError(f"study {name!r} was run in memory; there is no storage to serve")
    layout.artifacts.mkdir(parents=True, exist_ok=True)
    store = open_storage(url, layout)
    if threading.current_thread() is threading.main_thread():
        # The web server catches exceptions raised inside a request, so the CLI's SIGTERM
        # handler (which raises) could be swallowed and leave the server running: a
        # dashboard holds no state to save, so SIGTERM ends it at once.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    optuna_dashboard.run_server(store, host=host, port=port,
                                artifact_store=FileSystemArtifactStore(str(layout.artifacts)))
