"""``preview_grid``: a PNG of originals, each filter step and augmented copies (Figs. 6-8)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ganlab.data._chain import build_augmentation, build_filter_steps
from ganlab.data._decode import decode_file
from ganlab.data._prepare import resolve_sources
from ganlab.errors import DataError

if TYPE_CHECKING:
    from ganlab.config import DataConfig

CELL = 128  # display side of every cell, in pixels


def _pick(cfg: DataConfig, base_dir: Path, n: int) -> list[tuple[str, np.ndarray]]:
    """Up to ``n`` decodable images, alternating between the two classes, in file order."""
    sources = resolve_sources(cfg, base_dir)
    by_class = {c: [s for s in sources.sources if s.class_name == c] for c in sources.class_names}
    picked: list[tuple[str, np.ndarray]] = []
    iters = {c: iter(v) for c, v in by_class.items()}
    while len(picked) < n and iters:
        for cls in list(iters):
            src = next(iters[cls], None)
            if src is None:
                del iters[cls]
                continue
            decoded, _ = decode_file(src.path)
            if decoded.rgb is not None and len(picked) < n:
                picked.append((f"{cls}\n{Path(src.sample_id).name}", decoded.rgb))
    if not picked:
        raise DataError(f"{sources.origin}: no decodable image to preview")
    return picked


def preview_grid(
    cfg: DataConfig, *, base_dir: Path, out: Path, n: int = 4, n_augmented: int = 3,
    seed: int = 0,
) -> Path:
    """Write a grid: one row per image; columns original, each filter step, final size,
    then ``n_augmented`` augmented copies (with ``cfg.augmentations``)."""
    import cv2
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    steps = build_filter_steps(cfg.filters)
    augment = build_augmentation(cfg.augmentations)
    rows: list[list[np.ndarray]] = []
    titles = ["original", *[name for name, _ in steps], f"{cfg.image_size} px"]
    if augment is not None:
        titles += [f"augmented {k + 1}" for k in range(n_augmented)]
    generator = torch.Generator().manual_seed(seed)
    picked = _pick(cfg, Path(base_dir), n)
    for _, rgb in picked:
        cells, image = [rgb], rgb
        for _, step in steps:
            image = step(image)
            cells.append(image)
        final = cv2.resize(image, (cfg.image_size, cfg.image_size), interpolation=cv2.INTER_AREA)
        cells.append(final)
        if augment is not None:
            batch = torch.from_numpy(final).permute(2, 0, 1)[None].float() / 127.5 - 1
            batch = batch.repeat(n_augmented, 1, 1, 1)
            aug = augment(batch, generator=generator)
            aug_u8 = ((aug + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)
            cells += list(aug_u8.permute(0, 2, 3, 1).numpy())
        rows.append(cells)
    fig, axes = plt.subplots(len(rows), len(titles), squeeze=False,
                             figsize=(1.6 * len(titles), 1.7 * len(rows)))
    for r, cells in enumerate(rows):
        for c, cell in enumerate(cells):
            ax = axes[r][c]
            ax.imshow(cv2.resize(cell, (CELL, CELL), interpolation=cv2.INTER_NEAREST))
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(titles[c], fontsize=8)
            if c == 0:
                ax.set_ylabel(picked[r][0], fontsize=7)
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
