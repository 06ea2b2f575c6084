"""The GAN discriminator's trunk with a classification head (GAN pretraining).

``checkpoint`` names a GAN checkpoint whose trained discriminator initialises the trunk. The
factory declares it as its ``gan_checkpoint_param`` (the ``UsesGanCheckpoint`` capability of
``ganlab.contracts``), so a study fills it in with the trial's own GAN checkpoint when it is left
unset and ``{name = "discriminator"}`` is enough. The model has the ``EpochHook`` (trunk
freezing) and ``RebuildsParams`` capabilities. Without a checkpoint the trunk is
built randomly initialised from the ``discriminator`` plugin reference (the no-pretraining
control).

The trunk is the discriminator's ``features`` module: every layer but the final logit
convolution (and the class projection of a conditional discriminator). A discriminator plugin
must expose it to be usable here.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ganlab.errors import PluginError


class DiscriminatorClassifier(nn.Module):
    """Trunk -> global average pool -> dropout -> linear; trunk frozen for ``freeze_epochs``.

    Attributes:
        rebuild_params: Plugin parameters that rebuild this architecture without the GAN
            checkpoint (saved in classifier checkpoints, which already hold the weights).
    """

    def __init__(self, trunk: nn.Module, *, feature_channels: int, num_classes: int,
                 dropout: float, freeze_epochs: int, rebuild_params: dict[str, Any]) -> None:
        super().__init__()
        self.trunk = trunk
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(feature_channels, num_classes)
        )
        self.freeze_epochs = freeze_epochs
        self.rebuild_params = rebuild_params

    def on_epoch_start(self, epoch: int) -> None:
        """Train only the head during the first ``freeze_epochs`` epochs (0-based ``epoch``)."""
        trainable = epoch >= self.freeze_epochs
        for p in self.trunk.parameters():
            p.requires_grad_(trainable)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.pool(self.trunk(x)))


def _trunk(disc: nn.Module, where: str) -> nn.Module:
    trunk = getattr(disc, "features", None)
    if not isinstance(trunk, nn.Module):
        raise PluginError(
            f"classifier 'discriminator': {where} has no `features` module (its layers up to "
            f"the final logit); use a discriminator plugin that exposes one, such as dcgan."
        )
    return trunk


def discriminator_classifier(
    *,
    num_classes: int,
    image_size: int,
    channels: int,
    checkpoint: str | None = None,
    freeze_epochs: int = 0,
    discriminator: dict[str, Any] | None = None,
    dropout: float = 0.2,
) -> nn.Module:
    """GAN discriminator trunk + new head, initialised from a GAN checkpoint when given.

    Args:
        num_classes: Output logits.
        image_size: Input side; must match the GAN's image size.
        channels: Input channels; must match the GAN's.
        checkpoint: GAN checkpoint with a trained discriminator (the study fills in its own).
        freeze_epochs: Epochs during which only the new head trains.
        discriminator: Discriminator plugin reference used without a checkpoint, e.g.
            ``{name = "dcgan", ndf = 64}`` (default: dcgan with its defaults).
        dropout: Dropout before the linear head.
    """
    if freeze_epochs < 0:
        raise ValueError(f"freeze_epochs must be >= 0, got {freeze_epochs}")
    if checkpoint is not None:
        from ganlab.gan import load_discriminator

        disc, meta = load_discriminator(checkpoint, device="cpu")
        for key, want in (("image_size", image_size), ("channels", channels)):
            if meta.get(key) not in (None, want):
                raise PluginError(
                    f"classifier 'discriminator': GAN checkpoint {checkpoint} has {key} "
                    f"{meta.get(key)}, the data has {want}; train the GAN at the same {key}."
                )
        ref = dict(meta.get("discriminator") or {"name": "dcgan"})
        where = f"the discriminator of {checkpoint}"
    else:
        from ganlab.registry import DISCRIMINATORS

        ref = dict(discriminator or {"name": "dcgan"})
        name = ref.pop("name", "dcgan")
        disc = DISCRIMINATORS.create(name, image_size=image_size, channels=channels,
                                     num_classes=0, **ref)
        ref = {"name": name, **ref}
        where = f"discriminator plugin {name!r}"
    trunk = _trunk(disc, where)
    with torch.no_grad():
        was_training = trunk.training
        trunk.eval()
        feats = trunk(torch.zeros(1, channels, image_size, image_size))
        trunk.train(was_training)
    if feats.ndim != 4:
        raise PluginError(f"classifier 'discriminator': {where} features are not a feature map")
    return DiscriminatorClassifier(
        trunk,
        feature_channels=int(feats.shape[1]),
        num_classes=num_classes,
        dropout=dropout,
        freeze_epochs=freeze_epochs,
        rebuild_params={"checkpoint": None, "discriminator": ref, "freeze_epochs": freeze_epochs,
                        "dropout": dropout},
    )


discriminator_classifier.gan_checkpoint_param = "checkpoint"  # UsesGanCheckpoint
discriminator_classifier.search_space = {
    "freeze_epochs": {"type": "int", "low": 0, "high": 5},
    "dropout": {"type": "float", "low": 0.0, "high": 0.5},
}
