"""Training speed: ganlab's GAN trainer against a plain PyTorch DCGAN step, interleaved.

The reference is written inline in the style of pytorch/examples ``dcgan/main.py`` (same
architecture: G 512-256-128-64, D mirror, BatchNorm, Sigmoid + BCELoss, Adam 2e-4/0.5, a float
dataset already in memory). ganlab runs its real path: ``GanTrainer.train_epoch`` (uint8 data on
the device, ``d_step`` / ``g_step``). Rounds alternate between the variants so that machine
noise hits them alike; medians are reported with GFLOP/s from ``FlopCounterMode``.

    python benchmarks/bench_gan.py                       # CPU, ~2-3 minutes
    python benchmarks/bench_gan.py --device cuda --amp bf16 --channels-last --steps 50
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

PAPER_EPOCHS, PAPER_IMAGES = 3000, 2637


# -- the reference, as in pytorch/examples dcgan ------------------------------------------------
class RefGenerator(nn.Module):
    def __init__(self, nz: int, ngf: int = 64, nc: int = 3) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x)


class RefDiscriminator(nn.Module):
    def __init__(self, ndf: int = 64, nc: int = 3) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).view(-1, 1).squeeze(1)


def weights_init(m: nn.Module) -> None:
    name = m.__class__.__name__
    if name.find("Conv") != -1:
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif name.find("BatchNorm") != -1:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


class Reference:
    """The examples' training loop body over an in-memory float dataset."""

    def __init__(self, data: torch.Tensor, *, nz: int, device: torch.device) -> None:
        self.data, self.nz, self.device = data, nz, device
        self.netG = RefGenerator(nz).to(device)
        self.netD = RefDiscriminator().to(device)
        self.netG.apply(weights_init)
        self.netD.apply(weights_init)
        self.criterion = nn.BCELoss()
        self.optD = torch.optim.Adam(self.netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.optG = torch.optim.Adam(self.netG.parameters(), lr=2e-4, betas=(0.5, 0.999))

    def run(self, steps: int, batch: int) -> None:
        for i in range(steps):
            real = self.data[i * batch : (i + 1) * batch]
            b = real.size(0)
            self.netD.zero_grad()
            label = torch.full((b,), 1.0, device=self.device)
            err_real = self.criterion(self.netD(real), label)
            err_real.backward()
            noise = torch.randn(b, self.nz, 1, 1, device=self.device)
            fake = self.netG(noise)
            label.fill_(0.0)
            err_fake = self.criterion(self.netD(fake.detach()), label)
            err_fake.backward()
            self.optD.step()
            self.netG.zero_grad()
            label.fill_(1.0)
            err_g = self.criterion(self.netD(fake), label)
            err_g.backward()
            self.optG.step()
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        float(err_g.detach())


# -- ganlab's trainer ---------------------------------------------------------------------------
def make_ganlab(data_u8: torch.Tensor, args: argparse.Namespace, *, channels_last: bool):
    from ganlab.config import FidConfig, GanConfig
    from ganlab.data import ImageSet
    from ganlab.gan import GanTrainer

    n = len(data_u8)
    train = ImageSet(data_u8, torch.zeros(n, dtype=torch.long), [""] * n,
                     [str(i) for i in range(n)], ("benign", "malignant"))
    cfg = GanConfig(
        nz=args.nz, conditional=False, batch_size=args.batch, epochs=1,
        amp=args.amp, channels_last="on" if channels_last else "off", compile=args.compile,
        fid=FidConfig(enabled=False),
    )
    out = Path(tempfile.mkdtemp(prefix="bench_gan_"))
    return GanTrainer(cfg, train, out_dir=out, device=torch.device(args.device), seed=0)


def count_flops(fn) -> float:
    with FlopCounterMode(display=False) as counter:
        fn()
    return float(counter.get_total_flops())


def timed(fn, device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--amp", default="off", choices=["off", "bf16"])
    parser.add_argument("--channels-last", action="store_true",
                        help="also time ganlab with channels_last (its CPU/GPU default)")
    parser.add_argument("--compile", action="store_true", help="torch.compile ganlab's nets")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--nz", type=int, default=100)
    parser.add_argument("--steps", type=int, default=2, help="training steps per timed block")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    n = args.steps * args.batch
    data_u8 = torch.randint(0, 256, (n, 3, 64, 64), dtype=torch.uint8)
    data_f = (data_u8.float() / 127.5 - 1.0).to(device)

    ref = Reference(data_f, nz=args.nz, device=device)
    variants = {"reference": lambda: ref.run(args.steps, args.batch)}
    trainers = {"ganlab": make_ganlab(data_u8, args, channels_last=False)}
    if args.channels_last:
        trainers["ganlab+channels_last"] = make_ganlab(data_u8, args, channels_last=True)
    for name, trainer in trainers.items():
        variants[name] = trainer.train_epoch

    flops = {"reference": count_flops(lambda: ref.run(1, args.batch)) / args.batch}
    for name, trainer in trainers.items():  # one step: an "epoch" over a single batch
        full = trainer.images
        trainer.images = full[: args.batch]
        flops[name] = count_flops(trainer.train_epoch) / args.batch
        trainer.images = full

    for fn in variants.values():  # warm-up (allocator, oneDNN primitives, compile)
        fn()
    rates: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for r in range(args.rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            rates[name].append(n / timed(variants[name], device))

    print(f"device {device}  threads {torch.get_num_threads()}  batch {args.batch}  64x64  "
          f"nz {args.nz}  amp {args.amp}  compile {args.compile}  "
          f"{args.rounds} rounds x {args.steps} steps")
    ref_rate = statistics.median(rates["reference"])
    for name in names:
        med = statistics.median(rates[name])
        spread = f"{min(rates[name]):.1f}-{max(rates[name]):.1f}"
        print(f"{name:22s} {med:8.1f} img/s (range {spread})  ratio {med / ref_rate:5.3f}  "
              f"{flops[name] / 1e9:.3f} GFLOP/img  {med * flops[name] / 1e9:7.1f} GFLOP/s")
    if device.type == "cuda":
        best = max(statistics.median(rates[k]) for k in trainers)
        minutes = PAPER_EPOCHS * PAPER_IMAGES / best / 60
        print(f"paper schedule ({PAPER_EPOCHS} epochs x {PAPER_IMAGES} images) at {best:.0f} "
              f"img/s: {minutes:.1f} min (paper: 95 min on an RTX 2060)")


if __name__ == "__main__":
    main()
