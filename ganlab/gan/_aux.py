"""The auxiliary class head of ``gan.aux_classifier`` (AC-GAN, Odena et al. 2017).

A linear head on the discriminator's pooled features predicts the class of an image. The
discriminator step adds ``weight * cross_entropy`` of the head on the real (augmented) batch
and its labels; the generator step adds the same loss on the fakes and the labels they were
generated for, so the generator is pushed towards images the head assigns to their class. The
head learns from real images only (fakes would teach it the generator's mistakes), and its
parameters are updated by the discriminator's optimizer.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ganlab.contracts import DiscriminatorFeatures
from ganlab.errors import TrainingError


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
