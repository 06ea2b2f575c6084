"""Training speed: ganlab's GAN trainer against a plain PyTorch DCGAN step, interleaved.

The reference is written inline in the style of pytorch/examples ``dcgan/main.py`` (same
architecture: G 512-256-128-64, D mirror, BatchNorm, Sigmoid + BCELoss, Adam 2e-4/0.5, a float
dataset already in memory). ganlab runs its real path: ``GanTrainer.train_epoch`` (uint8 data on
the device, ``d_step`` / ``g_step``). Rounds alternate between the variants so that machine
noise hits them alike; medians are reported with GFLOP/s from ``FlopCounterMode``.

The data-efficient step (``ganlab+de``: DiffAugment on real and fake, generator EMA, lazy R1
every 16 D steps; ``ganlab+ada``: the same with ADA at p = 0.5) is timed in the same rounds and
its ratio to the plain ganlab step printed (target: at most 1.25x the plain step's time).
The AC-GAN class head (``ganlab+de+ac``: ``gan.aux_classifier`` on the class-conditional
``ganlab+de+cond``) is timed against the same conditional step without it.
The paper-schedule estimate adds the per-epoch costs of a run (fixed-noise samples and their
diversity every epoch, a checkpoint every 50 and a grid every 250 epochs, as ``--profile gpu``).

With ``--precision`` it times instead the whole training step (``GanTrainer.train_epoch``,
data augmentation included) of the study file's recipes: the paper's DCGAN (``studies/paper.toml``
without a profile) and the data-efficient ``cpu-gan-de`` and ``cpu-gan-ac``, each at its own batch
size, in fp32 and in bf16 autocast, each with and without channels_last, all in one interleaved
run, and prints each variant's speed-up over fp32 + channels_last (the fp32 default).

    python benchmarks/bench_gan.py                       # CPU, ~2-3 minutes
    python benchmarks/bench_gan.py --device cuda --amp bf16 --channels-last --steps 50
    python benchmarks/bench_gan.py --precision --threads 1 --steps 1 --rounds 7
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

PAPER_EPOCHS, PAPER_IMAGES = 3000, 2637
STUDY = Path(__file__).resolve().parents[1] / "studies" / "paper.toml"
RECIPES = {"paper": None, "cpu-gan-de": "cpu-gan-de", "cpu-gan-ac": "cpu-gan-ac"}  # -> profile
PRECISIONS = {"fp32": ("off", False), "fp32+cl": ("off", True), "bf16": ("bf16", False),
              "bf16+cl": ("bf16", True)}  # -> (gan.amp, gan.channels_last)
DEFAULT_FP32 = "fp32+cl"  # amp "off" (the CPU's fp32) with the channels_last default


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
def make_ganlab(
    data_u8: torch.Tensor, args: argparse.Namespace, *, channels_last: bool,
    extra: dict | None = None,
):
    from ganlab.config import FidConfig, GanConfig
    from ganlab.data import ImageSet
    from ganlab.gan import GanTrainer

    n = len(data_u8)
    train = ImageSet(data_u8, torch.zeros(n, dtype=torch.long), [""] * n,
                     [str(i) for i in range(n)], ("benign", "malignant"))
    options = {"conditional": False, **(extra or {})}
    cfg = GanConfig(
        nz=args.nz, batch_size=args.batch, epochs=1,
        amp=args.amp, channels_last=channels_last, compile=args.compile,
        fid=FidConfig(enabled=False), **options,
    )
    out = Path(tempfile.mkdtemp(prefix="bench_gan_"))
    return GanTrainer(cfg, train, out_dir=out, device=torch.device(args.device), seed=0)


def count_flops(fn) -> float:
    """FLOPs of ``fn``; NaN when the counter cannot follow it (R1's autograd.grad)."""
    try:
        with FlopCounterMode(display=False) as counter:
            fn()
    except RuntimeError:
        return float("nan")
    return float(counter.get_total_flops())


def timed(fn, device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def data_efficient_options(augment: str) -> dict:
    """gan.augment + gan.ema + lazy gan.r1: the cpu-gan-de and cpu-gan-ada options together."""
    from ganlab.config import EmaConfig, PluginRef, R1Config

    ref = (PluginRef("diffaugment") if augment == "diffaugment"
           else PluginRef("ada", {"p": 0.5, "kimg": 1e9}))  # p held at 0.5: a busy ADA
    return {"augment": ref, "ema": EmaConfig(decay=0.999), "r1": R1Config(gamma=1.0, every=16)}


def per_epoch_costs(trainer) -> dict[str, float]:
    """Seconds of the work ``fit`` does around the steps: samples, checkpoint, grid, history."""
    from ganlab.gan._sampling import mean_pairwise_distance, save_grid

    start = time.perf_counter()
    samples = trainer.fixed_samples()
    mean_pairwise_distance(samples)
    t_samples = time.perf_counter() - start
    start = time.perf_counter()
    trainer.save()
    t_ckpt = time.perf_counter() - start
    start = time.perf_counter()
    save_grid(samples, trainer.out_dir / "grid.png")
    t_grid = time.perf_counter() - start
    start = time.perf_counter()
    trainer.history_log.append({"epoch": 1, "d_loss": 0.5, "g_loss": 1.0})
    t_hist = time.perf_counter() - start
    return {"samples": t_samples, "checkpoint": t_ckpt, "grid": t_grid, "history": t_hist}


def schedule_estimate(rate: float, costs: dict[str, float], *, epochs: int = PAPER_EPOCHS,
                      checkpoint_every: int = 50, sample_every: int = 250) -> dict[str, float]:
    """Minutes of the paper's schedule: steps plus the per-epoch costs, by part."""
    parts = {
        "steps": epochs * PAPER_IMAGES / rate,
        "samples": epochs * costs["samples"],
        "history": epochs * costs["history"],
        "checkpoints": epochs // checkpoint_every * costs["checkpoint"],
        "grids": epochs // sample_every * costs["grid"],
    }
    return {k: v / 60 for k, v in parts.items()}


# -- fp32 against bf16 on the study file's recipes ----------------------------------------------
def recipe_trainer(profile: str | None, args: argparse.Namespace, *, amp: str,
                   channels_last: bool):
    """A ``GanTrainer`` of ``studies/paper.toml`` (+ ``profile``) on random images."""
    from ganlab.config import FidConfig, load_config
    from ganlab.data import ImageSet, build_augmentation
    from ganlab.gan import GanTrainer

    cfg = load_config(STUDY, profile=profile)
    gan = dataclasses.replace(cfg.gan, epochs=1, amp=amp, channels_last=channels_last,
                              compile=args.compile, fid=FidConfig(enabled=False))
    n = args.steps * gan.batch_size
    gen = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (n, 3, 64, 64), dtype=torch.uint8, generator=gen)
    train = ImageSet(images, torch.arange(n) % 2, [""] * n, [str(i) for i in range(n)],
                     ("benign", "malignant"))
    out = Path(tempfile.mkdtemp(prefix="bench_gan_"))
    return GanTrainer(gan, train, out_dir=out, device=torch.device(args.device), seed=0,
                      augment=build_augmentation(cfg.data.augmentations))


def precision_main(args: argparse.Namespace) -> None:
    """Every recipe x precision, interleaved; speed-ups over fp32 + channels_last."""
    device = torch.device(args.device)
    trainers = {(r, p): recipe_trainer(profile, args, amp=amp, channels_last=cl)
                for r, profile in RECIPES.items() for p, (amp, cl) in PRECISIONS.items()}
    for trainer in trainers.values():  # warm-up (allocator, oneDNN primitives, compile)
        trainer.train_epoch()
    rates: dict[tuple[str, str], list[float]] = {key: [] for key in trainers}
    keys = list(trainers)
    for r in range(args.rounds):
        for key in keys if r % 2 == 0 else keys[::-1]:
            trainer = trainers[key]
            rates[key].append(len(trainer.images) / timed(trainer.train_epoch, device))
    print(f"device {device}  threads {torch.get_num_threads()}  64x64  "
          f"{args.rounds} rounds x {args.steps} steps  compile {args.compile}  "
          f"whole step (GanTrainer.train_epoch), speed-up over {DEFAULT_FP32}")
    for recipe in RECIPES:
        batch = trainers[(recipe, DEFAULT_FP32)].cfg.batch_size
        base = statistics.median(rates[(recipe, DEFAULT_FP32)])
        for name in PRECISIONS:
            r = rates[(recipe, name)]
            med = statistics.median(r)
            print(f"{recipe:11s} batch {batch:3d}  {name:8s} {med:7.1f} img/s "
                  f"(range {min(r):.1f}-{max(r):.1f})  {med / base:5.2f}x")


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
    parser.add_argument("--no-data-efficient", action="store_true",
                        help="skip the DiffAugment/ADA + EMA + lazy R1 variants")
    parser.add_argument("--precision", action="store_true",
                        help="time fp32 against bf16 (with and without channels_last) on the "
                             "paper, cpu-gan-de and cpu-gan-ac recipes instead")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.precision:
        precision_main(args)
        return
    device = torch.device(args.device)
    n = args.steps * args.batch
    data_u8 = torch.randint(0, 256, (n, 3, 64, 64), dtype=torch.uint8)
    data_f = (data_u8.float() / 127.5 - 1.0).to(device)

    ref = Reference(data_f, nz=args.nz, device=device)
    variants = {"reference": lambda: ref.run(args.steps, args.batch)}
    trainers = {"ganlab": make_ganlab(data_u8, args, channels_last=False)}
    if args.channels_last:
        trainers["ganlab+channels_last"] = make_ganlab(data_u8, args, channels_last=True)
    if not args.no_data_efficient:
        for name, aug in (("ganlab+de", "diffaugment"), ("ganlab+ada", "ada")):
            trainers[name] = make_ganlab(data_u8, args, channels_last=args.channels_last,
                                         extra=data_efficient_options(aug))
        from ganlab.config import AuxClassifierConfig

        conditional = {**data_efficient_options("diffaugment"), "conditional": True}
        trainers["ganlab+de+cond"] = make_ganlab(data_u8, args, extra=conditional,
                                                 channels_last=args.channels_last)
        trainers["ganlab+de+ac"] = make_ganlab(
            data_u8, args, channels_last=args.channels_last,
            extra={**conditional, "aux_classifier": AuxClassifierConfig(weight=1.0)})
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
    plain = "ganlab+channels_last" if args.channels_last else "ganlab"
    for name in ("ganlab+de", "ganlab+ada"):
        if name in rates:
            cost = statistics.median(rates[plain]) / statistics.median(rates[name])
            print(f"{name} step time / {plain} step time: {cost:.3f}x (target <= 1.25x)")
    if "ganlab+de+ac" in rates:
        median = {k: statistics.median(rates[k]) for k in ("ganlab+de+cond", "ganlab+de+ac")}
        cost = median["ganlab+de+cond"] / median["ganlab+de+ac"]
        print(f"ganlab+de+ac step time / ganlab+de+cond step time: {cost:.3f}x (the class head)")
    best_name = max(trainers, key=lambda k: statistics.median(rates[k]))
    best = statistics.median(rates[best_name])
    parts = schedule_estimate(best, per_epoch_costs(trainers[best_name]))
    breakdown = ", ".join(f"{k} {v:.1f}" for k, v in parts.items())
    print(f"paper schedule ({PAPER_EPOCHS} epochs x {PAPER_IMAGES} images, {best_name} at "
          f"{best:.0f} img/s): {sum(parts.values()):.1f} min = {breakdown} min "
          "(paper: 95 min on an RTX 2060)")


if __name__ == "__main__":
    main()
