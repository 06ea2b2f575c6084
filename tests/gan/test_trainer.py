"""train_gan: reproducibility, exact resume, checkpoints, grids, divergence, pruning."""

from __future__ import annotations

import json

import pytest
import torch

from ganlab.config import PluginRef
from ganlab.errors import TrainingError
from ganlab.gan import generate, load_discriminator, load_generator, train_gan

CPU = torch.device("cpu")


def _state_equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _losses(history: list[dict]) -> list[tuple]:
    return [(h["d_loss"], h["g_loss"], h["d_real"], h["d_fake"]) for h in history]


def test_same_seed_same_losses_and_different_seed_differs(make_cfg, train_set, tmp_path) -> None:
    runs = [
        train_gan(make_cfg(epochs=1), train_set, out_dir=tmp_path / name, device=CPU, seed=seed)
        for name, seed in (("a", 0), ("b", 0), ("c", 1))
    ]
    assert _losses(runs[0].history) == _losses(runs[1].history)
    assert _losses(runs[0].history) != _losses(runs[2].history)


def test_resume_continues_exactly(make_cfg, train_set, tmp_path) -> None:
    straight = train_gan(make_cfg(epochs=2), train_set, out_dir=tmp_path / "s", device=CPU, seed=3)
    train_gan(make_cfg(epochs=1), train_set, out_dir=tmp_path / "r", device=CPU, seed=3)
    resumed = train_gan(make_cfg(epochs=2), train_set, out_dir=tmp_path / "r", device=CPU, seed=3)
    a = torch.load(straight.checkpoint, weights_only=True)
    b = torch.load(resumed.checkpoint, weights_only=True)
    assert _state_equal(a["generator"], b["generator"])
    assert _state_equal(a["discriminator"], b["discriminator"])
    assert _losses(straight.history) == _losses(resumed.history)
    assert b["epoch"] == 2 and len(resumed.sample_grids) == 2


def test_no_resume_starts_over(make_cfg, train_set, tmp_path) -> None:
    train_gan(make_cfg(epochs=2), train_set, out_dir=tmp_path, device=CPU, seed=0)
    again = train_gan(make_cfg(epochs=1), train_set, out_dir=tmp_path, device=CPU, seed=0,
                      resume=False)
    assert len(again.history) == 1 and len(again.sample_grids) == 1


def test_resume_refuses_a_different_setup(make_cfg, train_set, tmp_path) -> None:
    train_gan(make_cfg(epochs=1), train_set, out_dir=tmp_path, device=CPU, seed=0)
    with pytest.raises(TrainingError, match="different GAN setup.*nz"):
        train_gan(make_cfg(epochs=2, nz=8), train_set, out_dir=tmp_path, device=CPU, seed=0)


def test_outputs_checkpoint_and_loaders(make_cfg, train_set, tmp_path) -> None:
    result = train_gan(make_cfg(epochs=2, sample_every=2), train_set, out_dir=tmp_path,
                       device=CPU, seed=0)
    state = torch.load(result.checkpoint, weights_only=True)
    for key in ("generator", "discriminator", "g_optimizer", "d_optimizer", "scaler", "rng",
                "epoch", "history", "meta"):
        assert key in state
    meta = state["meta"]
    assert meta["num_classes"] == 2 and meta["class_names"] == ["benign", "malignant"]
    assert meta["generator"] == {"name": "dcgan", "ngf": 8}
    assert [p.name for p in result.sample_grids] == ["epoch_0001.png", "epoch_0002.png"]
    assert (tmp_path / "loss_curves.png").stat().st_size > 1000
    history = json.loads((tmp_path / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]
    assert {"d_loss", "g_loss", "d_real", "d_fake", "img_per_s", "seconds"} <= history[0].keys()
    g, _ = load_generator(result.checkpoint)
    d, _ = load_discriminator(result.checkpoint)
    labels = torch.tensor([0, 1, 0, 1])
    images = generate(g, 4, nz=16, labels=labels, device=CPU, seed=5)
    assert images.dtype == torch.uint8 and images.shape == (4, 3, 16, 16)
    assert torch.equal(images, generate(g, 4, nz=16, labels=labels, device=CPU, seed=5,
                                        batch_size=1))
    assert d(images.float() / 127.5 - 1, labels).shape == (4,)


def test_n_critic_steps_per_generator_step(make_cfg, train_set, tmp_path) -> None:
    result = train_gan(make_cfg(epochs=1, n_critic=2, loss=PluginRef("hinge")), train_set,
                       out_dir=tmp_path, device=CPU, seed=0)
    state = torch.load(result.checkpoint, weights_only=True)
    d_steps = next(iter(state["d_optimizer"]["state"].values()))["step"]
    g_steps = next(iter(state["g_optimizer"]["state"].values()))["step"]
    assert (int(d_steps), int(g_steps)) == (4, 2)  # 32 images / batch 8 = 4 D steps


def test_augment_sees_real_batches(make_cfg, train_set, tmp_path) -> None:
    seen = []

    def augment(batch):
        seen.append((batch.shape, float(batch.min()), float(batch.max())))
        return torch.flip(batch, dims=[3])

    train_gan(make_cfg(epochs=1), train_set, out_dir=tmp_path, device=CPU, seed=0,
              augment=augment)
    assert len(seen) == 4 and seen[0][0] == (8, 3, 16, 16)
    assert all(-1.0 <= lo and hi <= 1.0 for _, lo, hi in seen)


def test_divergence_stops_with_a_clear_reason(make_cfg, train_set, tmp_path) -> None:
    cfg = make_cfg(epochs=3, optimizer=PluginRef("sgd", {"lr": 1e12, "momentum": 0.9}))
    with pytest.raises(TrainingError, match="diverged at epoch 1"):
        train_gan(cfg, train_set, out_dir=tmp_path, device=CPU, seed=0)


def test_pruning_saves_a_checkpoint_and_propagates(make_cfg, train_set, tmp_path) -> None:
    import optuna

    def report(epoch: int, metrics: dict) -> None:
        assert metrics["epoch"] == epoch
        raise optuna.TrialPruned()

    with pytest.raises(optuna.TrialPruned):
        train_gan(make_cfg(epochs=3, checkpoint_every=5), train_set, out_dir=tmp_path,
                  device=CPU, seed=0, report=report)
    assert torch.load(tmp_path / "checkpoint.pt", weights_only=True)["epoch"] == 1


def test_unconditional_wgan_gp_trains(make_cfg, train_set, tmp_path) -> None:
    cfg = make_cfg(
        epochs=1, conditional=False, n_critic=2, loss=PluginRef("wgan_gp"),
        discriminator=PluginRef("dcgan", {"ndf": 8, "norm": "layer"}),
        optimizer=PluginRef("adam", {"lr": 1e-4, "betas": [0.0, 0.9]}),
    )
    result = train_gan(cfg, train_set, out_dir=tmp_path, device=CPU, seed=0)
    assert result.history[0]["epoch"] == 1
    assert torch.load(result.checkpoint, weights_only=True)["meta"]["num_classes"] == 0


def _written_epochs(cfg, train_set, out_dir) -> list[int | None]:
    """The checkpoint's epoch as ``report`` sees it after each epoch (None: none yet)."""
    seen: list[int | None] = []

    def report(epoch: int, metrics: dict) -> None:
        ckpt = out_dir / "checkpoint.pt"
        seen.append(torch.load(ckpt, weights_only=True)["epoch"] if ckpt.is_file() else None)

    train_gan(cfg, train_set, out_dir=out_dir, device=CPU, seed=0, report=report)
    return seen


def test_checkpoint_cadence_in_epochs_and_minutes(make_cfg, train_set, tmp_path) -> None:
    every_2 = _written_epochs(make_cfg(epochs=3, checkpoint_every=2), train_set, tmp_path / "a")
    assert every_2 == [None, 2, 3]  # every 2 epochs, and the final one
    by_time = make_cfg(epochs=3, checkpoint_every=100, checkpoint_minutes=0.0)
    assert _written_epochs(by_time, train_set, tmp_path / "b") == [1, 2, 3]
    default = make_cfg(epochs=3)  # 25 epochs or 10 minutes: only the final epoch here
    assert _written_epochs(default, train_set, tmp_path / "c") == [None, None, 3]


class _Killed(BaseException):
    """Stands for a kill: raised inside an epoch, so nothing is saved on the way out."""


def test_kill_between_checkpoints_resumes_from_the_last_written(make_cfg, train_set,
                                                               tmp_path) -> None:
    cfg = make_cfg(epochs=3, checkpoint_every=2, sample_every=100)

    def kill_in_epoch_3(event: dict) -> None:
        if event["epoch"] == 3 and event["step"] == 2:
            raise _Killed

    with pytest.raises(_Killed):
        train_gan(cfg, train_set, out_dir=tmp_path / "k", device=CPU, seed=3,
                  progress=kill_in_epoch_3)
    assert torch.load(tmp_path / "k" / "checkpoint.pt", weights_only=True)["epoch"] == 2
    resumed = train_gan(cfg, train_set, out_dir=tmp_path / "k", device=CPU, seed=3)
    straight = train_gan(make_cfg(epochs=3, sample_every=100), train_set,
                         out_dir=tmp_path / "s", device=CPU, seed=3)
    a = torch.load(straight.checkpoint, weights_only=True)
    b = torch.load(resumed.checkpoint, weights_only=True)
    for key in ("generator", "discriminator"):
        assert _state_equal(a[key], b[key]), key
    assert a["g_optimizer"]["state"][0]["exp_avg"].equal(b["g_optimizer"]["state"][0]["exp_avg"])
    assert _losses(straight.history) == _losses(resumed.history)
    lines = (tmp_path / "k" / "history.jsonl").read_text().splitlines()
    assert [json.loads(x)["epoch"] for x in lines] == [1, 2, 3]
