"""A trained classifier as a feature backbone for GAN metrics (FID, precision/recall, ...).

Metrics never load models: this module turns a classifier into the feature function that
``ganlab.metrics`` receives (``features = fn(images)``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor, nn

from ganlab.classify._checkpoint import load_classifier
from ganlab.errors import WeightsError
from ganlab.metrics import Backbone, feature_backbone, sha256_file

BACKBONE_NAME = "ganlab classifier (penultimate layer)"


def penultimate_features(
    model: nn.Module, *, device: torch.device | str = "cpu"
) -> Callable[[Tensor], Tensor]:
    """``fn(x) -> (B, D)``: the input of the model's last ``nn.Linear`` for float images in 0..255.

    Raises:
        WeightsError: when the model has no linear layer to take features before.
    """
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise WeightsError("the classifier has no linear output layer to take features before")
    captured: list[Tensor] = []
    linears[-1].register_forward_hook(lambda _m, inp, _out: captured.append(inp[0]))
    device = torch.device(device)
    model = model.to(device).eval()

    def features(x: Tensor) -> Tensor:
        captured.clear()
        with torch.no_grad():
            model(x.to(device).float() / 127.5 - 1.0)
        return captured[-1].flatten(1).float()

    return features


def model_backbone(
    model: nn.Module, *, image_size: int, weights_sha256: str,
    device: torch.device | str = "cpu",
) -> Backbone:
    """A metrics :class:`~ganlab.metrics.Backbone` over an in-memory classifier."""
    return feature_backbone(penultimate_features(model, device=device), name=BACKBONE_NAME,
                            weights_sha256=weights_sha256, image_size=image_size)


def classifier_backbone(checkpoint: str | Path, *, device: torch.device | str = "cpu") -> Backbone:
    """The backbone of a classifier checkpoint (``model.pt``); its sha256 goes to the protocol."""
    model, meta = load_classifier(checkpoint, device=device)
    return model_backbone(model, image_size=int(meta["image_size"]),
                          weights_sha256=sha256_file(Path(checkpoint)), device=device)
