"""A compact from-scratch CNN for small (32-128 px) dermoscopy images."""

from __future__ import annotations

from torch import Tensor, nn


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class CompactCNN(nn.Module):
    """``depth`` stages of two conv-BN-ReLU blocks, each stage but the last halving the size.

    Channels double per stage from ``width``; global average pooling, dropout and a linear head
    follow, so the network accepts any input size.
    """

    def __init__(self, *, num_classes: int, channels: int, width: int, depth: int,
                 dropout: float) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in = channels
        for i in range(depth):
            c_out = width * 2**i
            layers += [_block(c_in, c_out), _block(c_out, c_out)]
            if i < depth - 1:
                layers.append(nn.MaxPool2d(2))
            c_in = c_out
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(c_in, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.pool(self.features(x)))


def compact_cnn(
    *,
    num_classes: int,
    image_size: int,
    channels: int,
    width: int = 32,
    depth: int = 4,
    dropout: float = 0.2,
) -> nn.Module:
    """Compact CNN: conv-BN-ReLU stages, global average pooling, dropout, linear head.

    Args:
        num_classes: Output logits (2 for benign/malignant).
        image_size: Input side in pixels; must survive ``depth - 1`` halvings.
        channels: Input channels.
        width: Channels of the first stage (doubled at each later stage).
        depth: Number of stages.
        dropout: Dropout before the linear head.
    """
    if width < 1 or depth < 1:
        raise ValueError(f"width and depth must be >= 1, got width={width}, depth={depth}")
    if image_size < 2 ** (depth - 1):
        raise ValueError(
            f"image_size {image_size} is too small for depth {depth}; "
            f"use depth <= {max(1, image_size.bit_length())}"
        )
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    return CompactCNN(num_classes=num_classes, channels=channels, width=width, depth=depth,
                      dropout=dropout)


compact_cnn.search_space = {
    "width": {"type": "categorical", "choices": [16, 32, 48, 64]},
    "depth": {"type": "int", "low": 3, "high": 5},
    "dropout": {"type": "float", "low": 0.0, "high": 0.5},
}
