"""Templates and helpers shared by the study tests (imported by name; not a conftest)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

TINY = """
[study]
name = "{name}"
output = "{output}"
n_trials = {n_trials}
device = "cpu"
sampler = {sampler}
pruner = {{name = "none"}}

[data]
root = "{data}"
synth = {{n = 60, image_size = 20, seed = 0}}
image_size = 16
filters = [{{name = "resize", size = 16}}]
workers = 1

[gan]
enabled = {gan}
generator = {{name = "dcgan", ngf = 8}}
discriminator = {{name = "dcgan", ndf = 8}}
nz = 16
epochs = 1
batch_size = 32
fid = {{enabled = false}}

[classifier]
model = {{name = "compact_cnn", width = 8, depth = 3}}
epochs = {epochs}
patience = 0
batch_size = 32
mode = "{mode}"
synthetic_ratio = 0.5
bootstrap = 20
"""

SEARCH = """
[search]
"classifier.optimizer.lr" = {type = "float", low = 1e-4, high = 1e-2, log = true}
"""


def run_cli_subprocess(*args: str, cwd: Path | None = None, env: dict | None = None, **kw):
    """Start ``python -m ganlab ARGS`` with the test environment (offline, 1 thread)."""
    import subprocess

    env = {**(env or os.environ), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1",
           "MPLBACKEND": "Agg"}
    return subprocess.Popen([sys.executable, "-m", "ganlab", *args], cwd=cwd, env=env, **kw)


PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_up() -> bool:
    """Whether a PostgreSQL server listens on 127.0.0.1:5432."""
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def drop_pg_study(name: str) -> None:
    """Delete study ``name`` from the test database (tests share it: unique names, cleaned up)."""
    import optuna

    from ganlab.study.storage._storage import database_url

    try:
        optuna.delete_study(study_name=name, storage=database_url(PG_URL))
    except KeyError:
        pass


def fake_pipeline(cfg, *, out_dir: Path, **_kw):
    """Instant stand-in for the pipeline: the objective is the sampled learning rate, and
    ``metrics.json`` is written last like the real pipeline does."""
    import json

    from ganlab.study.pipeline._run_pipeline import RunResult

    out_dir.mkdir(parents=True, exist_ok=True)
    metrics = {"val.roc_auc": float(cfg.classifier.optimizer.params["lr"])}
    (out_dir / "metrics.json").write_text(json.dumps(metrics))
    return RunResult(metrics=metrics, out_dir=out_dir)
