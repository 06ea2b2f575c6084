"""ClassifierTrainer: exact resume after SIGKILL, checkpoints, progress, hooks, recipe parts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch
from torch import nn

from ganlab.classify import ClassifierTrainer, train_classifier
from ganlab.classify._recipe import check_recipe, lr_factor
from ganlab.classify._trainer import CHECKPOINT_NAME, batch_bounds
from ganlab.config import PluginRef
from ganlab.contracts import EpochHook
from ganlab.errors import ConfigError, TrainingError

CPU = torch.device("cpu")
HERE = Path(__file__).parent

# Every stateful part of the recipe is on: cosine schedule with warm-up, EMA, mixup, smoothing,
# random augmentation and early stopping, so an exact resume must restore all of them.
RECIPE = dict(epochs=5, patience=4, schedule="cosine", warmup_epochs=1.0, ema_decay=0.9,
              mixup_alpha=0.4, label_smoothing=0.1, augment=True,
              optimizer=PluginRef("adamw", {"lr": 3e-3, "betas": [0.9, 0.999]}))

_SCRIPT = """
import sys, time
from pathlib import Path
import torch
torch.set_num_threads(1)
sys.path.insert(0, {here!r})
from conftest import tiny_cfg, tiny_data
from test_classifier_trainer import RECIPE, augmentation
from ganlab.classify import train_classifier

out = Path({out!r})
def progress(event):
    if event.get("epoch") == 4 and event.get("step") == 2 and not event.get("end"):
        (out / "mid-epoch-4").touch()
        time.sleep(600)  # the test kills this process here, in the middle of epoch 4
train_classifier(tiny_cfg(**RECIPE, checkpoint_every={every}), tiny_data(out), out_dir=out,
                 device=torch.device("cpu"), seed=3, augment=augmentation(), progress=progress)
"""


def augmentation():
    from ganlab.data import build_augmentation

    return build_augmentation([PluginRef("hflip"), PluginRef("rot90"),
                               PluginRef("rotation", {"degrees": 10.0})])


def _weights(path: Path) -> dict[str, torch.Tensor]:
    return torch.load(path, map_location="cpu", weights_only=True)["model"]


@pytest.mark.slow
@pytest.mark.parametrize(("every", "written"), [(1, 3), (2, 2)])
def test_resume_after_sigkill_is_bit_identical(make_cfg, make_data, tmp_path: Path,
                                               every: int, written: int) -> None:
    """Killed in epoch 4: it resumes from the last checkpoint written (epoch 3 when every
    epoch is written, epoch 2 with ``checkpoint_every = 2``) and ends as an uninterrupted run
    with the default cadence does."""
    killed = tmp_path / "killed"
    killed.mkdir()
    script = _SCRIPT.format(here=str(HERE), out=str(killed), every=every)
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)],
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while not (killed / "mid-epoch-4").exists():
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        assert time.monotonic() < deadline, "the training subprocess never reached epoch 4"
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (killed / "model.pt").exists()
    state = torch.load(killed / CHECKPOINT_NAME, weights_only=True)
    assert state["epoch"] == written  # the last checkpoint, written atomically

    data = make_data(killed)
    resumed = train_classifier(make_cfg(**RECIPE), data, out_dir=killed, device=CPU, seed=3,
                               augment=augmentation(), resume=True)
    straight = train_classifier(make_cfg(**RECIPE), make_data(tmp_path), out_dir=tmp_path / "s",
                                device=CPU, seed=3, augment=augmentation())
    assert resumed.metrics["protocol"]["resumed_at_epoch"] == written
    a, b = _weights(resumed.checkpoint), _weights(straight.checkpoint)
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    drop = ("seconds", "wall_seconds", "img_per_s")
    assert [{k: v for k, v in r.items() if k not in drop} for r in resumed.history] == \
        [{k: v for k, v in r.items() if k not in drop} for r in straight.history]
    assert resumed.metrics["test"] == straight.metrics["test"]


def test_resume_of_another_setup_is_refused(make_cfg, data, tmp_path: Path) -> None:
    train_classifier(make_cfg(epochs=1), data, out_dir=tmp_path, device=CPU, seed=0)
    with pytest.raises(TrainingError, match=r"different classifier setup \(batch_size"):
        train_classifier(make_cfg(epochs=1, batch_size=8), data, out_dir=tmp_path, device=CPU,
                         seed=0, resume=True)
    (tmp_path / CHECKPOINT_NAME).write_bytes(b"not a checkpoint")
    with pytest.raises(TrainingError, match="checkpoint.pt: cannot be read as a classifier"):
        train_classifier(make_cfg(epochs=1), data, out_dir=tmp_path, device=CPU, seed=0,
                         resume=True)


def test_resume_of_a_finished_run_scores_without_training(make_cfg, data, tmp_path) -> None:
    first = train_classifier(make_cfg(epochs=2), data, out_dir=tmp_path, device=CPU, seed=0)
    events: list[dict] = []
    again = train_classifier(make_cfg(epochs=2), data, out_dir=tmp_path, device=CPU, seed=0,
                             resume=True, progress=events.append)
    assert events == []
    assert again.metrics["test"] == first.metrics["test"]
    assert again.metrics["protocol"]["resumed_at_epoch"] == 2


def test_progress_events_per_step_and_epoch(make_cfg, data, tmp_path: Path) -> None:
    events: list[dict] = []
    train_classifier(make_cfg(epochs=2, batch_size=16), data, out_dir=tmp_path, device=CPU,
                     seed=0, progress=events.append)
    steps = [e for e in events if not e.get("end")]
    ends = [e for e in events if e.get("end")]
    assert [(e["epoch"], e["step"]) for e in steps] == [(1, i) for i in range(1, 5)] + \
        [(2, i) for i in range(1, 5)]
    assert steps[-1]["images"] == 64
    assert [e["epoch"] for e in ends] == [1, 2]
    assert {"train_loss", "val_loss", "val_roc_auc", "lr"} <= ends[0].keys()


class _Hooked(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(3 * 16 * 16, 2))
        self.seen: list[int] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def on_epoch_start(self, epoch: int) -> None:
        self.seen.append(epoch)


def test_epoch_hook_is_called_before_each_epoch(make_cfg, data, tmp_path: Path) -> None:
    model = _Hooked()
    assert isinstance(model, EpochHook)
    trainer = ClassifierTrainer(make_cfg(epochs=3), model, data.train.images, data.train.labels,
                                data.val.images, data.val.labels, out_dir=tmp_path, device=CPU,
                                seed=0, meta={})
    trainer.fit()
    assert model.seen == [0, 1, 2]
    assert (tmp_path / CHECKPOINT_NAME).is_file()


def test_nan_loss_stops_the_epoch_with_the_config_path(make_cfg, data, tmp_path) -> None:
    cfg = make_cfg(epochs=1, optimizer=PluginRef("sgd", {"lr": 1e30}))
    with pytest.raises(TrainingError, match=r"classifier\.optimizer\.lr"):
        train_classifier(cfg, data, out_dir=tmp_path, device=CPU, seed=0)


def test_lr_factor_warms_up_then_decays_to_zero() -> None:
    f = [lr_factor(s, total=10, warmup=2, schedule="cosine") for s in range(11)]
    assert f[0] == pytest.approx(1 / 3) and f[1] == pytest.approx(2 / 3)
    assert f[2] == 1.0 and f[10] == pytest.approx(0.0, abs=1e-12)
    assert all(a >= b for a, b in zip(f[2:], f[3:], strict=False))
    assert [lr_factor(s, total=10, warmup=0, schedule="constant") for s in (0, 9)] == [1.0, 1.0]


def test_batch_bounds_drop_lone_samples_and_keep_mixup_pairs() -> None:
    assert batch_bounds(65, 16, even=False) == [(0, 16), (16, 32), (32, 48), (48, 64)]
    assert batch_bounds(67, 16, even=True)[-1] == (64, 66)
    assert batch_bounds(1, 16, even=False) == [(0, 1)]


@pytest.mark.parametrize(("change", "path"), [
    ({"label_smoothing": 0.7}, "classifier.label_smoothing"),
    ({"ema_decay": 1.0}, "classifier.ema_decay"),
    ({"warmup_epochs": 9.0}, "classifier.warmup_epochs"),
    ({"mixup_prob": 1.5}, "classifier.mixup_prob"),
    ({"image_size": 4}, "classifier.image_size"),
])
def test_recipe_values_out_of_range_name_their_path(make_cfg, change, path) -> None:
    with pytest.raises(ConfigError, match=path.replace(".", r"\.")):
        check_recipe(make_cfg(**change))


def test_ema_weights_are_the_ones_kept(make_cfg, data, tmp_path: Path) -> None:
    cfg = make_cfg(epochs=2, ema_decay=0.5)
    trainer = ClassifierTrainer(cfg, _Hooked(), data.train.images, data.train.labels,
                                data.val.images, data.val.labels, out_dir=tmp_path, device=CPU,
                                seed=0, meta={})
    model = trainer.fit()
    best = trainer.best_state
    assert best is not None
    ema = trainer.ema.module.state_dict()
    raw = trainer.model.state_dict()
    if trainer.early.best_epoch == 2:
        assert all(torch.equal(best[k], ema[k]) for k in best)
    assert all(torch.equal(raw[k], best[k]) for k in best)  # fit() loads the best EMA weights
    assert model is trainer.model


def test_one_host_sync_per_epoch(make_cfg, data, tmp_path: Path, monkeypatch) -> None:
    """No ``float(loss)``, ``loss.item()`` or ``if isfinite(loss)`` per step: the losses are
    summed on the device and read once at the end of the epoch."""
    cfg = make_cfg(epochs=1, batch_size=8, ema_decay=0.9, mixup_alpha=0.2, schedule="cosine")
    trainer = ClassifierTrainer(cfg, _Hooked(), data.train.images, data.train.labels,
                                data.val.images, data.val.labels, out_dir=tmp_path, device=CPU,
                                seed=0, meta={})
    import traceback

    reads: list[str] = []
    for name in ("item", "__float__", "__bool__", "tolist"):
        original = getattr(torch.Tensor, name)

        def spy(self, *a, _name=name, _original=original, **k):
            caller = traceback.extract_stack(limit=2)[0].filename
            # torch.optim reads its step counter, a CPU tensor also on a GPU: no device sync
            if f"torch{os.sep}optim" not in caller:
                reads.append(_name)
            return _original(self, *a, **k)

        monkeypatch.setattr(torch.Tensor, name, spy)
    trainer.train_epoch()
    monkeypatch.undo()
    assert len(trainer.batches) == 8
    assert reads == ["__float__"]


def test_max_minutes_stops_after_the_epoch_and_resumes_to_scoring(make_cfg, data, tmp_path):
    limited = train_classifier(make_cfg(epochs=4, max_minutes=0.0), data, out_dir=tmp_path,
                               device=CPU, seed=0)
    protocol = limited.metrics["protocol"]
    assert protocol["epochs_run"] == 1 and protocol["stopped_by_time_limit"] is True
    # the limit is not part of the setup: a longer limit continues the same run
    more = train_classifier(make_cfg(epochs=4, max_minutes=60.0), data, out_dir=tmp_path,
                            device=CPU, seed=0, resume=True)
    assert more.metrics["protocol"]["resumed_at_epoch"] == 1
    assert more.metrics["protocol"]["epochs_run"] == 4
    assert more.metrics["protocol"]["stopped_by_time_limit"] is False


def test_checkpoint_cadence_keeps_the_best_and_the_last(make_cfg, data, tmp_path: Path) -> None:
    out = tmp_path / "c"
    seen: list[int | None] = []

    def report(epoch: int, metrics: dict) -> None:
        ckpt = out / CHECKPOINT_NAME
        seen.append(torch.load(ckpt, weights_only=True)["epoch"] if ckpt.is_file() else None)

    cfg = make_cfg(epochs=3, patience=0, checkpoint_every=2)
    result = train_classifier(cfg, data, out_dir=out, device=CPU, seed=0, report=report)
    assert seen == [None, 2, 3]  # every 2 epochs and after the last
    state = torch.load(out / CHECKPOINT_NAME, weights_only=True)
    best = state["early_stopping"]["best_epoch"]
    assert 1 <= best <= 3 and state["best_state"] is not None
    model = _weights(result.checkpoint)
    assert all(torch.equal(model[k], state["best_state"][k]) for k in state["best_state"])


def test_bf16_on_the_cpu_trains_resumes_exactly_and_saves_fp32(make_cfg, data, tmp_path):
    cfg = make_cfg(**{**RECIPE, "epochs": 2, "amp": "bf16", "checkpoint_every": 1})
    straight = train_classifier(cfg, data, out_dir=tmp_path / "s", device=CPU, seed=3,
                                augment=augmentation())

    class Stop(Exception):
        pass

    def stop_in_epoch_2(event: dict) -> None:
        if event.get("epoch") == 2:
            raise Stop  # as a kill in epoch 2: the checkpoint holds epoch 1

    with pytest.raises(Stop):
        train_classifier(cfg, data, out_dir=tmp_path / "r", device=CPU, seed=3,
                         augment=augmentation(), progress=stop_in_epoch_2)
    resumed = train_classifier(cfg, data, out_dir=tmp_path / "r", device=CPU, seed=3,
                               augment=augmentation(), resume=True)
    assert resumed.metrics["protocol"]["resumed_at_epoch"] == 1
    assert straight.metrics["protocol"]["precision"] == {
        "amp": "bf16", "setting": "bf16", "reason": "asked for"}
    a, b = _weights(straight.checkpoint), _weights(resumed.checkpoint)
    assert all(t.dtype == torch.float32 for t in a.values() if t.is_floating_point())
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert resumed.metrics["test"] == straight.metrics["test"]
