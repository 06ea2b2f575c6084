"""A tiny study file for the job tests (imported by name; not a conftest)."""

from __future__ import annotations

import json
from pathlib import Path

TINY_JOBS = """
[study]
name = "{name}"
output = "{output}"
n_trials = {n_trials}
device = "cpu"
sampler = {{name = "random"}}
pruner = {{name = "none"}}

[data]
root = "{data}"
synth = {{n = 48, image_size = 20, seed = 0}}
image_size = 16
filters = [{{name = "resize", size = 16}}]
workers = 1

[gan]
enabled = true
generator = {{name = "dcgan", ngf = 8}}
discriminator = {{name = "dcgan", ndf = 8}}
nz = 16
epochs = 1
batch_size = 16
fid = {{enabled = false}}

[classifier]
model = {{name = "compact_cnn", width = 8, depth = 2}}
epochs = 1
patience = 0
batch_size = 16
mode = "real"
bootstrap = 20

[search]
"classifier.optimizer.lr" = {{type = "float", low = 1e-4, high = 1e-2, log = true}}
"""

ABLATION = """
[ablation]
factors = {"classifier.batch_size" = [16, 8]}
seeds = [0]
"""


def instant_pipeline(cfg, *, out_dir: Path, **_kw):
    """A pipeline that trains nothing: the objective is the sampled learning rate; it writes
    ``metrics.json`` last, as :func:`ganlab.study.run_pipeline` does."""
    from ganlab.study import RunResult

    out_dir.mkdir(parents=True, exist_ok=True)
    metrics = {"val.roc_auc": float(cfg.classifier.optimizer.params["lr"]),
               "test.roc_auc": 0.5}
    (out_dir / "metrics.json").write_text(json.dumps(metrics))
    return RunResult(metrics=metrics, out_dir=out_dir)
