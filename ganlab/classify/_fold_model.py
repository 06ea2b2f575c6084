"""A k-fold ensemble as one classifier: the mean of its members' class probabilities."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ganlab.registry import CLASSIFIERS

ENSEMBLE_KIND = "ensemble:folds"  # meta["kind"] of a saved fold ensemble


class FoldEnsemble(nn.Module):
    """The average of its members' class probabilities, returned as logits (log of the mean)."""

    def __init__(self, members: list[nn.Module]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, x: Tensor) -> Tensor:
        probs = torch.stack([m(x).float().softmax(1) for m in self.members]).mean(0)
        return probs.clamp_min(1e-12).log()


def build_fold_ensemble(meta: dict[str, Any], weights: dict[str, Tensor]) -> FoldEnsemble:
    """Rebuild a saved :class:`FoldEnsemble` from its meta (member references) and weights."""
    structural = {k: meta[k] for k in ("num_classes", "image_size", "channels")}
    members = []
    for ref in meta["members"]:
        params = {k: v for k, v in ref.items() if k != "name"}
        members.append(CLASSIFIERS.create(ref["name"], **structural, **params))
    model = FoldEnsemble(members)
    model.load_state_dict(weights)
    return model
