"""The smaller faults of issue 25, each reproduced through the real command.

- `study list` showed a study that needs a password as 0 trials with no note;
- with one image per class, data preparation reported 0 validation images, then 5 trials
  failed before the run stopped;
- a tampered checkpoint with `image_size = 100000` made OpenCV try to allocate 30 GB;
- a malicious timm `weights=` file was blocked, but with a traceback;
- `study dashboard --host 0.0.0.0` served an unauthenticated dashboard without a warning.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
from pathlib import Path

import pytest
import torch
from study_helpers import fake_pipeline, run_cli_subprocess

from ganlab.config import load_config
from ganlab.errors import GanlabError, TrainingError, WeightsError
from ganlab.study import RunContext, exposure_warning, optimize_study


def _cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    proc = run_cli_subprocess(*args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, env=env)
    out = proc.communicate(timeout=300)[0]
    assert "Traceback" not in out, out
    return proc.returncode, out


def test_list_notes_a_study_that_needs_a_password(
    write_study, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = tmp_path / "runs"
    cfg = load_config(write_study("pw", n_trials=1))
    optimize_study(cfg, RunContext.from_config(cfg, pipeline=fake_pipeline), n_trials=1)
    record = runs / "pw" / "study.json"
    rec = json.loads(record.read_text())
    rec["storage"] = "postgresql://root@127.0.0.1:5432/test?password=***"
    record.write_text(json.dumps(rec))
    env = {k: v for k, v in os.environ.items()
           if k not in ("GANLAB_STORAGE", "PGPASSWORD", "PGPASSFILE")}
    env["HOME"] = str(tmp_path)  # no ~/.pgpass
    rc, out = _cli("study", "list", "--output", str(runs), "--format", "json", env=env)
    assert rc == 0, out
    row = json.loads(out)[0]
    assert row["n_complete"] == 0 and "needs its password" in row["note"], row
    assert row["storage"].endswith("password=***")


@pytest.mark.slow
def test_one_image_per_class_stops_before_any_trial(
    write_study, synth_root: Path, tmp_path: Path
) -> None:
    from ganlab.data import synthesize

    study = write_study("one", n_trials=3)
    made = tmp_path / "made"
    synthesize(made, 4, seed=0, image_size=20)
    tiny = tmp_path / "tiny"
    for cls in ("benign", "malignant"):
        (tiny / cls).mkdir(parents=True)
        shutil.copy(sorted((made / cls).iterdir())[0], tiny / cls / "a.png")
    study.write_text(study.read_text().replace(f'root = "{synth_root}"', f'root = "{tiny}"')
                     .replace("synth = {n = 60, image_size = 20, seed = 0}\n", ""))
    rc, out = _cli("study", "run", str(study), "--log-format", "plain")
    assert rc == 1, out
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "0 validation images" in errors[0], out
    assert "trial" not in out.lower()
    assert not (tmp_path / "runs" / "one" / "trials").exists()


def _tamper(path: Path, **meta: object) -> Path:
    state = torch.load(path, weights_only=True)
    state["meta"].update(meta)
    torch.save(state, path)
    return path


def test_a_tampered_gan_checkpoint_is_refused_before_allocating(tmp_path: Path) -> None:
    from ganlab.gan import load_generator
    from ganlab.testing import tiny_gan_checkpoint

    ckpt = _tamper(tiny_gan_checkpoint(tmp_path / "checkpoint.pt"), image_size=100000)
    with pytest.raises(TrainingError, match=r"meta image_size = 100000 is not a whole number"):
        load_generator(ckpt)
    rc, out = _cli("gan", "sample", str(ckpt), "-n", "2", "--out", str(tmp_path / "s"))
    assert rc == 1 and "image_size = 100000" in out and len(out.strip().splitlines()) == 1, out


def test_a_tampered_classifier_checkpoint_is_refused_before_allocating(tmp_path: Path) -> None:
    from ganlab.classify import load_classifier
    from ganlab.classify._checkpoint import save_classifier
    from ganlab.registry import CLASSIFIERS

    model = CLASSIFIERS.create("compact_cnn", num_classes=2, image_size=16, channels=3, width=4)
    meta = {"classifier": {"name": "compact_cnn", "width": 4}, "num_classes": 2,
            "image_size": 100000, "channels": 3, "class_names": ["benign", "malignant"],
            "filters": [], "threshold": 0.5}
    ckpt = save_classifier(tmp_path / "model.pt", model, meta)
    with pytest.raises(GanlabError, match=r"meta image_size = 100000"):
        load_classifier(ckpt)
    images = tmp_path / "imgs"
    images.mkdir()
    rc, out = _cli("classify", "predict", str(ckpt), str(images / "x.png"))
    assert rc == 1 and "image_size = 100000" in out, out


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/ganlab-pwned-by-weights",))


def test_a_malicious_timm_weights_file_is_one_line(tmp_path: Path) -> None:
    from ganlab.registry import CLASSIFIERS

    evil = tmp_path / "resnet18.pth"
    evil.write_bytes(pickle.dumps(_Evil()))
    Path("/tmp/ganlab-pwned-by-weights").unlink(missing_ok=True)
    with pytest.raises(WeightsError, match="arbitrary Python objects.*refused"):
        CLASSIFIERS.create("timm", num_classes=2, image_size=32, channels=3, model="resnet18",
                           pretrained=True, weights=str(evil))
    assert not Path("/tmp/ganlab-pwned-by-weights").exists()


def test_dashboard_on_every_interface_warns(tmp_path: Path) -> None:
    assert exposure_warning("127.0.0.1") is None and exposure_warning("localhost") is None
    assert "every interface" in exposure_warning("0.0.0.0")
    rc, out = _cli("study", "dashboard", "none", "--host", "0.0.0.0", "--output", str(tmp_path))
    assert rc == 1  # no such study; the warning comes first
    assert out.splitlines()[0].startswith("warning: the dashboard has no authentication")
