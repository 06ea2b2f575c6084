"""A small copy of an image folder for the GPU device check: every image resized to 64 px.

Only the repository travels to the lent GPU machine (at most 64 MiB); the ISIC train folder is
136 MB. Its 64-px copy (JPEG, quality 95, about 8 MB for 2,637 images) is what the check's
study reads; the paper's pipeline resizes to 64 px anyway. Without the source folder (a CI
machine), a synthetic lesion set of the same layout is written instead (``ganlab.data``).

    python benchmarks/gpu_data_copy.py --source ../shared/data/isic-benign-malignant/train \\
        --out .gpudata/train
    python benchmarks/gpu_data_copy.py --out .gpudata/train --synthetic 200
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"}


def copy_resized(source: Path, out: Path, *, size: int, per_class: int | None) -> int:
    """Write each class folder's images of ``source`` at ``size`` px into ``out``; the count."""
    from PIL import Image

    count = 0
    for cls in sorted(p for p in source.iterdir() if p.is_dir()):
        files = sorted(f for f in cls.iterdir() if f.suffix.lower() in SUFFIXES)
        (out / cls.name).mkdir(parents=True, exist_ok=True)
        for f in files[:per_class]:
            with Image.open(f) as im:
                small = im.convert("RGB").resize((size, size), Image.Resampling.BICUBIC)
            small.save(out / cls.name / f"{f.stem}.jpg", quality=95)
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, help="class folders of images (default: none)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--per-class", type=int, default=None, help="at most N per class")
    parser.add_argument("--synthetic", type=int, default=200,
                        help="images of the synthetic set written when --source is missing")
    args = parser.parse_args()
    if args.out.exists():
        shutil.rmtree(args.out)
    if args.source is not None and args.source.is_dir():
        n = copy_resized(args.source, args.out, size=args.size, per_class=args.per_class)
        print(f"{args.out}: {n} images of {args.source} at {args.size} px")
    else:
        from ganlab.data import synthesize

        counts = synthesize(args.out, n=args.synthetic, image_size=args.size, seed=0)
        print(f"{args.out}: no source folder; a synthetic set {counts} at {args.size} px")
    size = sum(f.stat().st_size for f in args.out.rglob("*") if f.is_file())
    print(f"{args.out}: {size / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
