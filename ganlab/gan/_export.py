"""Writing generated images from a checkpoint to a folder (no training data needed)."""

from __future__ import annotations

from pathlib import Path

import torch

from ganlab.errors import ConfigError
from ganlab.gan._checkpoint import load_generator
from ganlab.gan._sampling import generate, save_images


def sample_to_folder(
    checkpoint: str | Path,
    n: int,
    *,
    out_dir: str | Path,
    label: str | None = None,
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> dict[str, list[Path]]:
    """Generate ``n`` images per requested class and write them as PNG files.

    A conditional generator writes ``out_dir/<class>/`` for ``label`` or, without one, for every
    class (``n`` each); an unconditional one writes ``n`` images into ``out_dir``.

    Returns:
        Class name (``""`` when unconditional) -> written paths.
    """
    if n < 1:
        raise ConfigError(f"must be >= 1, got {n}", path="n")
    generator, meta = load_generator(checkpoint, device=device)
    names = list(meta.get("class_names") or [])
    out_dir = Path(out_dir)
    if meta["num_classes"] == 0:
        if label is not None:
            raise ConfigError(
                f"{label!r} cannot be honoured: the generator of {checkpoint} is unconditional "
                f"(gan.conditional = false)", path="label", hint="leave the label out"
            )
        images = generate(generator, n, nz=meta["nz"], labels=None, device=device, seed=seed)
        return {"": save_images(images, out_dir)}
    if label is not None and label not in names:
        raise ConfigError(f"{label!r} is not a class of {checkpoint}", path="label",
                          hint=f"its classes: {', '.join(names)}")
    written: dict[str, list[Path]] = {}
    for index, name in enumerate(names):
        if label is not None and name != label:
            continue
        labels = torch.full((n,), index, dtype=torch.long)
        images = generate(
            generator, n, nz=meta["nz"], labels=labels, device=device, seed=seed + index
        )
        written[name] = save_images(images, out_dir / name)
    return written
