"""The GAN discriminator's features with a classification head (GAN pretraining).

``checkpoint`` names a GAN checkpoint whose trained discriminator initialises the classifier.
The factory declares it as its ``gan_checkpoint_param`` (the ``UsesGanCheckpoint`` capability of
``ganlab.contracts``), so a study fills it in with the trial's own GAN checkpoint when it is left
unset and ``{name = "discriminator"}`` is enough. The model has the ``EpochHook`` (trunk
freezing) and ``RebuildsParams`` capabilities. Without a checkpoint the discriminator is built
randomly initialised from the ``discriminator`` plugin reference (the no-pretraining control).

The features are those of the declared ``DiscriminatorFeatures`` capability: the pooled
features (B, feature_width) that ``forward_with_features`` returns, the ones the discriminator's
logits are computed from. A discriminator plugin must have that capability to be usable here.
The classifier holds the discriminator built unconditional (``num_classes = 0``): a conditional
GAN's class projection is not copied, the rest of its weights are.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ganlab.contracts import DiscriminatorFeatures
from ganlab.errors import PluginError


class DiscriminatorClassifier(nn.Module):
    """Discriminator features -> dropout -> linear; the discriminator frozen for
    ``freeze_epochs``.

    Attributes:
        trunk: The discriminator (unconditional); only its features are used.
        rebuild_params: Plugin parameters that rebuild this architecture without the GAN
            checkpoint (saved in classifier checkpoints, which already hold the weights).
    """

    def __init__(self, trunk: nn.Module, *, num_classes: int, dropout: float,
                 freeze_epochs: int, rebuild_params: dict[str, Any],
                 input_shape: tuple[int, int, int]) -> None:
        super().__init__()
        self.trunk = trunk
        self.input_shape = input_shape  # (channels, size, size) of one image
        self.head = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(int(trunk.feature_width), num_classes)
        )
        self.freeze_epochs = freeze_epochs
        self.rebuild_params = rebuild_params
        self._register_load_state_dict_pre_hook(self._from_trunk_layout)

    def on_epoch_start(self, epoch: int) -> None:
        """Train only the head during the first ``freeze_epochs`` epochs (0-based ``epoch``)."""
        trainable = epoch >= self.freeze_epochs
        for p in self.trunk.parameters():
            p.requires_grad_(trainable)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.trunk.forward_with_features(x)[1])

    def _from_trunk_layout(self, state: dict[str, Tensor], prefix: str, *args: Any) -> None:
        """Read a checkpoint of the earlier layout, whose ``trunk`` was the discriminator's
        ``features`` module, average-pooled: its keys move under ``trunk.features.``, the
        unused logit layer keeps its current weights. Refused where this discriminator's pooled
        features are not that average (the head would read other numbers)."""
        head, trunk = f"{prefix}trunk.", f"{prefix}trunk.features."
        if any(k.startswith(trunk) for k in state) or not any(k.startswith(head) for k in state):
            return
        for key in [k for k in state if k.startswith(head)]:
            state[trunk + key[len(head):]] = state.pop(key)
        for key, value in self.trunk.state_dict().items():
            state.setdefault(head + key, value)
        if not self._pools_by_average():
            raise PluginError(
                "classifier 'discriminator': this checkpoint was saved by an earlier ganlab "
                "(an average-pooled trunk) and this discriminator pools its features otherwise; "
                "retrain the classifier"
            )

    def _pools_by_average(self) -> bool:
        features = getattr(self.trunk, "features", None)  # only the earlier layout's module
        if not isinstance(features, nn.Module):
            return False
        x = torch.randn(2, *self.input_shape, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            try:
                pooled = self.trunk.forward_with_features(x)[1]
                mean = features(x).mean(dim=(2, 3))
            except (RuntimeError, ValueError):
                return False
        return pooled.shape == mean.shape and torch.allclose(pooled, mean, atol=1e-5)


def _unconditional(disc: nn.Module, ref: dict[str, Any], *, image_size: int,
                   channels: int, where: str) -> nn.Module:
    """``ref``'s discriminator built with ``num_classes = 0``, holding ``disc``'s weights but
    its class projection (keys only a conditional one has)."""
    from ganlab.registry import DISCRIMINATORS

    params = {k: v for k, v in ref.items() if k != "name"}
    plain = DISCRIMINATORS.create(ref["name"], image_size=image_size, channels=channels,
                                  num_classes=0, **params)
    state = disc.state_dict()
    missing = [k for k in plain.state_dict() if k not in state]
    if missing:
        raise PluginError(f"classifier 'discriminator': {where} lacks {', '.join(missing[:3])} "
                          f"of its unconditional form; train the GAN again")
    plain.load_state_dict({k: state[k] for k in plain.state_dict()})
    return plain


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
    """GAN discriminator features + new head, initialised from a GAN checkpoint when given.

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
        if int(meta.get("num_classes") or 0) > 0:
            disc = _unconditional(disc, ref, image_size=image_size, channels=channels,
                                  where=where)
    else:
        from ganlab.registry import DISCRIMINATORS

        ref = dict(discriminator or {"name": "dcgan"})
        name = ref.pop("name", "dcgan")
        disc = DISCRIMINATORS.create(name, image_size=image_size, channels=channels,
                                     num_classes=0, **ref)
        ref = {"name": name, **ref}
        where = f"discriminator plugin {name!r}"
    if not isinstance(disc, DiscriminatorFeatures):
        raise PluginError(
            f"classifier 'discriminator': {where} lacks the DiscriminatorFeatures capability "
            f"(forward_with_features and feature_width, ganlab.contracts); use a discriminator "
            f"plugin that has it, such as dcgan or resnet."
        )
    return DiscriminatorClassifier(
        disc.train(),
        num_classes=num_classes,
        dropout=dropout,
        freeze_epochs=freeze_epochs,
        rebuild_params={"checkpoint": None, "discriminator": ref, "freeze_epochs": freeze_epochs,
                        "dropout": dropout},
        input_shape=(channels, image_size, image_size),
    )


discriminator_classifier.gan_checkpoint_param = "checkpoint"  # UsesGanCheckpoint
discriminator_classifier.search_space = {
    "freeze_epochs": {"type": "int", "low": 0, "high": 5},
    "dropout": {"type": "float", "low": 0.0, "high": 0.5},
}
