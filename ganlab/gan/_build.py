"""Building the networks, loss and optimizers of a :class:`~ganlab.config.GanConfig`."""

from __future__ import annotations

from typing import Any

from torch import nn

from ganlab.config import GanConfig, PluginRef
from ganlab.registry import DISCRIMINATORS, GAN_AUGMENTATIONS, GENERATORS, LOSSES, OPTIMIZERS


def build_generator(
    ref: PluginRef, *, nz: int, image_size: int, channels: int, num_classes: int
) -> nn.Module:
    """The generator plugin ``ref`` with ganlab's structural keywords."""
    return GENERATORS.create(
        ref.name, **ref.params, nz=nz, image_size=image_size, channels=channels,
        num_classes=num_classes,
    )


def build_discriminator(
    ref: PluginRef, *, image_size: int, channels: int, num_classes: int
) -> nn.Module:
    """The discriminator plugin ``ref`` with ganlab's structural keywords."""
    return DISCRIMINATORS.create(
        ref.name, **ref.params, image_size=image_size, channels=channels,
        num_classes=num_classes,
    )


def build_loss(ref: PluginRef) -> Any:
    """The loss plugin ``ref`` (an object with ``d_loss`` and ``g_loss``)."""
    return LOSSES.create(ref.name, **ref.params)


def build_optimizers(
    cfg: GanConfig, generator: nn.Module, discriminator: nn.Module, *d_extra: nn.Module
) -> tuple:
    """(generator optimizer, discriminator optimizer); D uses ``d_optimizer`` when set.

    ``d_extra``: modules trained with the discriminator (the AC-GAN class head).
    """
    g_ref = cfg.optimizer
    d_ref = cfg.d_optimizer or cfg.optimizer
    d_params = [p for net in (discriminator, *d_extra) for p in net.parameters()]
    g_opt = OPTIMIZERS.create(g_ref.name, generator.parameters(), **g_ref.params)
    d_opt = OPTIMIZERS.create(d_ref.name, d_params, **d_ref.params)
    return g_opt, d_opt


def build_gan_augmentation(ref: PluginRef | None) -> Any:
    """The ``gan.augment`` plugin (applied to real and fake before D), or None."""
    if ref is None:
        return None

    return GAN_AUGMENTATIONS.create(ref.name, **ref.params)
