"""Bytes a GAN run writes per epoch, with every-epoch checkpoints against the default cadence.

The paper's DCGAN (``studies/paper.toml``: ngf = ndf = 64, nz = 128, class-conditional, 64 px;
a checkpoint of about 77 MB with both Adam states) trains on a small synthetic set, so that the
epochs are short and the writes dominate. Each variant runs in the same process, one after the
other; the figures are read from ``/proc/self/io`` (``wchar``: bytes handed to ``write()``,
``write_bytes``: bytes the kernel sent to storage, ``syscw``: write calls) and from counting
``os.fsync`` calls.

    OMP_NUM_THREADS=1 python benchmarks/bench_checkpoint_io.py            # 25 epochs, ~2 min
    python benchmarks/bench_checkpoint_io.py --epochs 50 --images 64
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import time
from pathlib import Path

import torch

from ganlab.config import FidConfig, GanConfig, PluginRef
from ganlab.data import ImageSet
from ganlab.gan import train_gan


def io_counters() -> dict[str, int]:
    """This process's ``/proc/self/io`` counters (Linux)."""
    rows = Path("/proc/self/io").read_text().split("\n")
    return {k: int(v) for k, v in (r.split(": ") for r in rows if r)}


def synthetic_set(n: int, size: int = 64) -> ImageSet:
    g = torch.Generator().manual_seed(0)
    # Faint noise around grey: real images this alike keep the collapse check quiet while the
    # untrained generator's samples are still alike too.
    images = torch.randint(120, 136, (n, 3, size, size), dtype=torch.uint8, generator=g)
    labels = (torch.arange(n) % 2).long()
    return ImageSet(images, labels, [f"x/{i}.png" for i in range(n)],
                    [f"{i}.png" for i in range(n)], ("benign", "malignant"))


def measure(cfg: GanConfig, train: ImageSet, out_dir: Path) -> dict[str, float]:
    """Train ``cfg`` into ``out_dir``; the write counters per epoch and the checkpoint size."""
    fsyncs = [0]
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        fsyncs[0] += 1
        real_fsync(fd)

    os.fsync = counting_fsync
    try:
        before, start = io_counters(), time.perf_counter()
        train_gan(cfg, train, out_dir=out_dir, device=torch.device("cpu"), seed=0)
        after, seconds = io_counters(), time.perf_counter() - start
    finally:
        os.fsync = real_fsync
    epochs = cfg.epochs
    return {
        "MB_per_epoch": (after["wchar"] - before["wchar"]) / epochs / 1e6,
        "storage_MB_per_epoch": (after["write_bytes"] - before["write_bytes"]) / epochs / 1e6,
        "write_calls_per_epoch": (after["syscw"] - before["syscw"]) / epochs,
        "fsyncs_per_epoch": fsyncs[0] / epochs,
        "checkpoint_MB": (out_dir / "checkpoint.pt").stat().st_size / 1e6,
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--images", type=int, default=32, help="synthetic 64-px images")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    paper = GanConfig(
        generator=PluginRef("dcgan", {"ngf": 64}), discriminator=PluginRef("dcgan", {"ndf": 64}),
        nz=128, batch_size=args.images, epochs=args.epochs, fid=FidConfig(enabled=False),
    )
    variants = {
        "every epoch (checkpoint_every = 1, before)": dataclasses.replace(
            paper, checkpoint_every=1),
        f"default cadence ({paper.checkpoint_every} epochs / "
        f"{paper.checkpoint_minutes:g} min)": paper,
    }
    train = synthetic_set(args.images)
    rows = {}
    with tempfile.TemporaryDirectory(dir=".") as tmp:
        for i, (name, cfg) in enumerate(variants.items()):
            rows[name] = measure(cfg, train, Path(tmp) / str(i))
    print(f"{args.epochs} epochs of the paper DCGAN (64 px, {args.images} synthetic images, "
          f"sample grid every {paper.sample_every} epochs)")
    for name, row in rows.items():
        print(f"  {name}: " + ", ".join(f"{k} {v:.4g}" for k, v in row.items()))
    before, after = (r["MB_per_epoch"] for r in rows.values())
    print(f"bytes written per epoch, default / every epoch: {after / before:.3f}")


if __name__ == "__main__":
    main()
