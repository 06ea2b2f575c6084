"""Training-step speed of GAN architecture pairs through ganlab's trainer, interleaved.

Each variant is a generator/discriminator pair with its widths; every variant runs the real
``GanTrainer.train_epoch`` (conditional, 64 px by default) over the same in-memory batch
count. Rounds alternate the order so machine noise hits the variants alike; medians, ratios to
the first variant and forward+backward FLOPs per image are printed.

    python benchmarks/bench_gan_arch.py                      # dcgan 32 vs resnet 16 / 32
    python benchmarks/bench_gan_arch.py --size 32 --variant resnet:ngf=64,ndf=64
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

DEFAULT = ["dcgan:ngf=32,ndf=32", "resnet:ngf=16,ndf=16", "resnet:ngf=32,ndf=32"]


def parse_variant(text: str) -> tuple[str, dict[str, int], dict[str, int]]:
    """``resnet:ngf=16,ndf=16`` -> (name, generator params, discriminator params)."""
    name, _, rest = text.partition(":")
    params = dict(kv.split("=") for kv in rest.split(",") if kv)
    g = {k: int(v) for k, v in params.items() if k.startswith("ng")}
    d = {k: int(v) for k, v in params.items() if k.startswith("nd")}
    return name, g, d


def make_trainer(text: str, data: torch.Tensor, args: argparse.Namespace):
    from ganlab.config import FidConfig, GanConfig, PluginRef
    from ganlab.data import ImageSet
    from ganlab.gan import GanTrainer

    name, g, d = parse_variant(text)
    n = len(data)
    train = ImageSet(data, torch.arange(n) % 2, [""] * n, [str(i) for i in range(n)],
                     ("benign", "malignant"))
    cfg = GanConfig(
        generator=PluginRef(name, g), discriminator=PluginRef(name, d), loss=PluginRef("hinge"),
        nz=128, conditional=True, batch_size=args.batch, epochs=1, channels_last=True,
        fid=FidConfig(enabled=False),
    )
    out = Path(tempfile.mkdtemp(prefix="bench_arch_"))
    return GanTrainer(cfg, train, out_dir=out, device=torch.device("cpu"), seed=0)


def flops_per_image(trainer, batch: int) -> float:
    full = trainer.images
    trainer.images = full[:batch]
    with FlopCounterMode(display=False) as counter:
        trainer.train_epoch()
    trainer.images = full
    return float(counter.get_total_flops()) / batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", action="append", help=f"default: {' '.join(DEFAULT)}")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    n = args.steps * args.batch
    data = torch.randint(0, 256, (n, 3, args.size, args.size), dtype=torch.uint8)
    names = args.variant or DEFAULT
    trainers = {v: make_trainer(v, data, args) for v in names}
    flops = {v: flops_per_image(t, args.batch) for v, t in trainers.items()}
    for t in trainers.values():
        t.train_epoch()  # warm-up
    rates: dict[str, list[float]] = {v: [] for v in names}
    for r in range(args.rounds):
        for v in names if r % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            trainers[v].train_epoch()
            rates[v].append(n / (time.perf_counter() - start))
    print(f"cpu threads {args.threads}  {args.size} px  batch {args.batch}  conditional, hinge, "
          f"channels_last  {args.rounds} rounds x {args.steps} steps")
    first = statistics.median(rates[names[0]])
    for v in names:
        med = statistics.median(rates[v])
        params = sum(p.numel() for t in (trainers[v].generator, trainers[v].discriminator)
                     for p in t.parameters())
        print(f"{v:26s} {med:7.1f} img/s (range {min(rates[v]):.1f}-{max(rates[v]):.1f})  "
              f"ratio {med / first:5.2f}  {flops[v] / 1e9:6.3f} GFLOP/img  "
              f"{params / 1e6:5.2f} M params")


if __name__ == "__main__":
    main()
