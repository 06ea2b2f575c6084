"""The ``tiny_mlp`` classifier: a one-hidden-layer perceptron on flattened images."""

from __future__ import annotations

from torch import nn


def tiny_mlp(
    *, num_classes: int, image_size: int, channels: int, hidden: int = 64, dropout: float = 0.1
) -> nn.Module:
    """Flatten -> Linear(hidden) -> ReLU -> Dropout -> Linear(num_classes).

    Args:
        num_classes: Number of logits (passed by ganlab).
        image_size: Side of the square input images (passed by ganlab).
        channels: Input channels (passed by ganlab).
        hidden: Width of the hidden layer.
        dropout: Dropout probability after the hidden layer.
    """
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(channels * image_size * image_size, hidden),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(hidden, num_classes),
    )


tiny_mlp.search_space = {
    "hidden": {"type": "categorical", "choices": [32, 64, 128]},
    "dropout": {"type": "float", "low": 0.0, "high": 0.5},
}
