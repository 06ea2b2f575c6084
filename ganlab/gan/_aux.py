"""The auxiliary class head of ``gan.aux_classifier`` (AC-GAN, Odena et al. 2017).

A linear head on the discriminator's pooled features predicts the class of an image. The
discriminator step adds ``weight * cross_entropy`` of the head on the real (augmented) batch
and its labels; the generator step adds the same loss on the fakes and the labels they were
generated for, so the generator is pushed towards images the head assigns to their class. The
head learns from real images only (fakes would teach it the generator's mistakes), and its
parameters are updated by the discriminator's optimizer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from ganlab.contracts import DiscriminatorFeatures
from ganlab.errors import ConfigError, TrainingError
from ganlab.gan._checkpoint import load_discriminator, read_checkpoint


class AuxClassifier(nn.Module):
    """A class head on a :class:`~ganlab.contracts.DiscriminatorFeatures` discriminator.

    Args:
        discriminator: The (uncompiled) discriminator whose features the head reads.
        num_classes: Number of classes (> 0: the GAN must be class-conditional).
        weight: Weight of the cross-entropy in both players' losses.
    """

    def __init__(self, discriminator: nn.Module, *, num_classes: int, weight: float) -> None:
        super().__init__()
        if not isinstance(discriminator, DiscriminatorFeatures):
            raise TrainingError(
                f"gan.aux_classifier needs a discriminator with forward_with_features "
                f"(ganlab.contracts.DiscriminatorFeatures); {type(discriminator).__name__} has "
                "none",
                path=("gan", "aux_classifier"),
                hint="use the dcgan or resnet discriminator, or remove gan.aux_classifier",
            )
        if num_classes < 1:
            raise TrainingError("gan.aux_classifier needs a class-conditional GAN",
                                path=("gan", "aux_classifier"), hint="set gan.conditional = true")
        self.weight = float(weight)
        self.head = nn.Linear(int(discriminator.feature_width), num_classes)

    def score(
        self, discriminator: nn.Module, x: torch.Tensor, labels: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The discriminator's logits (B,) of ``x`` and the head's cross-entropy on ``labels``.

        ``discriminator`` may be the compiled module; its ``forward_with_features`` is used.
        """
        logits, features = discriminator.forward_with_features(x, labels)
        class_logits = self.head(features.to(self.head.weight.dtype))
        return logits, F.cross_entropy(class_logits.float(), labels)


def class_head_probabilities(
    checkpoint: str | Path | None, *, device: torch.device | str = "cpu"
) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """``fn(images, labels) -> (N, num_classes)``: the class probabilities that the AC class
    head of a GAN checkpoint gives uint8 images (``labels``: the labels the discriminator is
    conditioned on). Raises :class:`ConfigError` when the checkpoint has no class head."""
    state = read_checkpoint(checkpoint) if checkpoint is not None else {}
    if not state.get("aux_head"):
        raise ConfigError(
            f"GAN checkpoint {checkpoint} has no class head", path="classifier.synthesis",
            hint="train the GAN with gan.aux_classifier, or use source = \"classifier\"")
    discriminator, meta = load_discriminator(checkpoint, device=device)  # type: ignore[arg-type]
    aux = AuxClassifier(discriminator, num_classes=int(meta["num_classes"]), weight=1.0)
    aux.load_state_dict(state["aux_head"])
    aux = aux.to(device).eval()

    def probabilities(images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        x = images.to(device).float() / 127.5 - 1.0
        with torch.no_grad():
            _, features = discriminator.forward_with_features(x, labels.to(device))
            return aux.head(features.float()).softmax(1).cpu()

    return probabilities
