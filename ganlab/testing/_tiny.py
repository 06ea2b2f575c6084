"""A tiny untrained GAN checkpoint for the checks that need one."""

from __future__ import annotations

from pathlib import Path

from ganlab.gan import save_checkpoint
from ganlab.registry import DISCRIMINATORS, GENERATORS

SIZE = 32  # image side, as in every other check (ganlab.testing.SIZE)


def tiny_gan_checkpoint(path: str | Path, *, seed: int = 1, discriminator: str = "dcgan",
                        generator: str = "dcgan") -> Path:
    """Write an untrained but valid GAN checkpoint at 32 px (for GAN-pretraining tests)."""
    import torch

    torch.manual_seed(seed)
    meta = {"nz": 16, "image_size": SIZE, "channels": 3, "num_classes": 2,
            "class_names": ["benign", "malignant"], "generator": {"name": generator},
            "discriminator": {"name": discriminator}, "loss": {"name": "bce"}, "seed": seed}
    g = GENERATORS.create(generator, nz=16, image_size=SIZE, channels=3, num_classes=2)
    d = DISCRIMINATORS.create(discriminator, image_size=SIZE, channels=3, num_classes=2)
    return save_checkpoint(Path(path), {
        "generator": g.state_dict(), "discriminator": d.state_dict(), "g_optimizer": {},
        "d_optimizer": {}, "scaler": {}, "rng": {}, "epoch": 1, "history": [], "meta": meta,
    })
