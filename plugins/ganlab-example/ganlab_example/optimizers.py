"""The ``nadam`` optimizer: Adam with Nesterov momentum (``torch.optim.NAdam``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch


def nadam(
    params: Iterable[torch.nn.Parameter],
    *,
    lr: float = 2e-3,
    betas: Sequence[float] = (0.9, 0.999),
    weight_decay: float = 0.0,
    momentum_decay: float = 4e-3,
) -> torch.optim.Optimizer:
    """NAdam (Dozat 2016) as implemented by ``torch.optim.NAdam``."""
    return torch.optim.NAdam(
        params, lr=lr, betas=tuple(betas), weight_decay=weight_decay,
        momentum_decay=momentum_decay,
    )


nadam.search_space = {
    "lr": {"type": "float", "low": 1e-4, "high": 1e-2, "log": True},
    "weight_decay": {"type": "float", "low": 1e-6, "high": 1e-2, "log": True},
}
