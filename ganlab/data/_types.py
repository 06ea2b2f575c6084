"""The in-memory image sets that every other package receives from :mod:`ganlab.data`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch


@dataclass
class ImageSet:
    """Preprocessed images of one split.

    Attributes:
        images: ``uint8`` tensor (N, 3, S, S) on the CPU, after the filter chain.
        labels: ``int64`` tensor (N,); 1 is the positive class.
        paths: Source file of each image.
        ids: Stable sample ids (path relative to the data root, or as written in the manifest).
        class_names: ``class_names[label]`` is the class (folder) name of that label.
    """

    images: torch.Tensor
    labels: torch.Tensor
    paths: list[str]
    ids: list[str]
    class_names: tuple[str, str]

    def __len__(self) -> int:
        return len(self.ids)

    def as_float(self, device: torch.device | str = "cpu") -> torch.Tensor:
        """The images as float (N, 3, S, S) in [-1, 1] on ``device``."""
        return self.images.to(device).float().div_(127.5).sub_(1.0)

    def counts(self) -> dict[str, int]:
        """Number of images per class name."""
        n_pos = int(self.labels.sum())
        return {self.class_names[0]: len(self) - n_pos, self.class_names[1]: n_pos}


@dataclass
class PreparedData:
    """Train, validation and test sets of one study, with the split manifest and protocol."""

    train: ImageSet
    val: ImageSet
    test: ImageSet
    class_names: tuple[str, str]
    split_manifest: Path
    protocol: dict[str, Any] = field(default_factory=dict)
