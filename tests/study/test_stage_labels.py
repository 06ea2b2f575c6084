"""Plain log lines name the stage of a run outside Optuna, the GAN phase included.

During an ablation's GAN phase the plain log line did not say which stage it belonged to, so
right after the baselines it read like one more baseline epoch.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from ganlab.cli._progress import PlainLog
from ganlab.config import load_config
from ganlab.study import StudyLayout
from ganlab.study.events import EpochEnd
from ganlab.study.experiments import _cached_runs


def test_each_stage_labels_its_own_gan_epochs(write_study) -> None:
    def gan_then_done(cfg, *, out_dir: Path, report, **_kw):
        report("gan", 6, {"d_loss": 0.5, "g_loss": 1.5})
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "metrics.json").write_text(json.dumps({"val.roc_auc": 0.5}))

    cfg = load_config(write_study("stages", gan=True))
    layout = StudyLayout.of_config(cfg)
    buf = io.StringIO()
    log, events = PlainLog(Console(file=buf, width=300)), []

    def on_event(ev):
        events.append(ev)
        log(ev)

    _cached_runs.cached_run(cfg, out_dir=layout.baselines / "timm" / "seed-0", seed=0,
                            layout=layout, device="cpu", label="baseline timm",
                            stage="baselines", on_event=on_event,
                            pipeline=gan_then_done)
    _cached_runs.cached_run(cfg, out_dir=layout.ablation / "base" / "seed-0", seed=0,
                            layout=layout, device="cpu", label="base", stage="ablation",
                            on_event=on_event, pipeline=gan_then_done)
    epochs = [ev for ev in events if isinstance(ev, EpochEnd)]
    assert [(ev.stage, ev.label) for ev in epochs] == [("baselines", "baseline timm"),
                                                        ("ablation", "base")]
    gan_lines = [line.split(" ", 1)[1] for line in buf.getvalue().splitlines()
                 if "gan epoch" in line]
    assert gan_lines[0].startswith("baselines · baseline timm seed 0 · gan epoch 6/")
    assert gan_lines[1].startswith("ablation · base seed 0 · gan epoch 6/")
    assert "ablation · base seed 0: started" in buf.getvalue()
