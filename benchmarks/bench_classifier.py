"""Training speed: ganlab's classifier epoch against a bare timm loop, interleaved.

Both variants train the same timm model on the same in-memory images with the same batch size,
optimizer (AdamW), loss and augmentation callables; the bare loop is what a user writes by hand
(a float dataset in memory, ``loss.item()`` each step). ganlab runs its real path:
``ClassifierTrainer.train_epoch`` (uint8 data on the device, the pure ``train_step``, one host
sync per epoch). Rounds alternate so that machine noise hits both alike; medians are reported.
Then each augmentation plugin is timed alone on a batch, against one training step.

With ``--precision`` it times instead ganlab's training epoch of the study file's two
from-scratch recipes (``studies/paper.toml`` profiles ``cpu-best``: resnet18, and
``cpu-best-compact``: compact_cnn; their optimizer, schedule, EMA and augmentations) in fp32 and in
bf16 autocast, interleaved, and prints bf16's speed-up (the trainer keeps channels_last on).

    python benchmarks/bench_classifier.py                    # CPU, ~2-4 minutes
    python benchmarks/bench_classifier.py --model efficientnet_b0 --images 512
    python benchmarks/bench_classifier.py --precision --threads 1 --rounds 5
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

AUGMENTATIONS = [
    {"name": "hflip"}, {"name": "vflip"}, {"name": "rot90"},
    {"name": "color_jitter", "brightness": 0.1, "contrast": 0.1, "saturation": 0.1, "hue": 0.0},
    {"name": "rotation", "degrees": 20.0}, {"name": "shear", "degrees": 10.0},
    {"name": "random_resized_crop"},
]
DEFAULT_CHAIN = ("hflip", "vflip", "rot90", "color_jitter")
STUDY = Path(__file__).resolve().parents[1] / "studies" / "paper.toml"
RECIPES = {"resnet18": "cpu-best", "compact_cnn": "cpu-best-compact"}  # -> profile
PRECISIONS = {"fp32": "off", "bf16": "bf16"}  # -> classifier.amp


def build_augment(names: tuple[str, ...]):
    from ganlab.config import PluginRef
    from ganlab.data import build_augmentation

    refs = [PluginRef(a["name"], {k: v for k, v in a.items() if k != "name"})
            for a in AUGMENTATIONS if a["name"] in names]
    return build_augmentation(refs)


class BareLoop:
    """A hand-written timm training loop over a float dataset in memory."""

    def __init__(self, images_u8: torch.Tensor, labels: torch.Tensor, args, augment) -> None:
        import timm

        self.x = images_u8.float().div(127.5).sub(1.0)
        self.y = labels
        self.model = timm.create_model(args.model, num_classes=2).to(
            memory_format=torch.channels_last)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=1e-3, weight_decay=0.01)
        self.loss = nn.CrossEntropyLoss()
        self.batch, self.augment = args.batch, augment

    def epoch(self) -> None:
        self.model.train()
        order = torch.randperm(len(self.y))
        for start in range(0, len(order), self.batch):
            idx = order[start : start + self.batch]
            x = self.augment(self.x[idx]).contiguous(memory_format=torch.channels_last)
            loss = self.loss(self.model(x), self.y[idx])
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            loss.item()


def make_ganlab(images_u8: torch.Tensor, labels: torch.Tensor, args, augment, out: Path):
    from ganlab.classify import ClassifierTrainer
    from ganlab.config import ClassifierConfig, PluginRef
    from ganlab.registry import CLASSIFIERS

    cfg = ClassifierConfig(model=PluginRef("timm", {"model": args.model}),
                           optimizer=PluginRef("adamw", {"lr": 1e-3, "betas": [0.9, 0.999]}),
                           batch_size=args.batch, epochs=1000)
    model = CLASSIFIERS.create("timm", model=args.model, num_classes=2,
                               image_size=images_u8.shape[-1], channels=3)
    return ClassifierTrainer(cfg, model, images_u8, labels, images_u8[:8], labels[:8],
                             out_dir=out, device=torch.device("cpu"), seed=0, meta={},
                             augment=augment)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def augmentation_costs(args, step_seconds: float) -> None:
    from ganlab.registry import AUGMENTATIONS as REG

    batch = torch.rand(args.batch, 3, args.size, args.size) * 2 - 1
    print(f"\naugmentation cost on one batch of {args.batch} at {args.size} px "
          f"(median of 20; a training step takes {step_seconds * 1e3:.0f} ms):")
    for ref in AUGMENTATIONS:
        fn = REG.create(ref["name"], **{k: v for k, v in ref.items() if k != "name"})
        fn(batch)
        times = [timed(lambda fn=fn: fn(batch)) for _ in range(20)]
        ms = statistics.median(times) * 1e3
        print(f"  {ref['name']:<20} {ms:7.2f} ms  ({ms / (step_seconds * 1e3):6.1%} of a step)")


def recipe_trainer(profile: str, images: torch.Tensor, labels: torch.Tensor, amp: str,
                   out: Path):
    """A ``ClassifierTrainer`` of ``studies/paper.toml`` + ``profile`` in ``amp``."""
    from ganlab.classify import ClassifierTrainer
    from ganlab.config import load_config
    from ganlab.data import build_augmentation
    from ganlab.registry import CLASSIFIERS

    cfg = load_config(STUDY, profile=profile)
    clf = dataclasses.replace(cfg.classifier, amp=amp, epochs=1000)
    torch.manual_seed(0)
    model = CLASSIFIERS.create(clf.model.name, **clf.model.params, num_classes=2,
                               image_size=images.shape[-1], channels=3)
    return ClassifierTrainer(clf, model, images, labels, images[:8], labels[:8], out_dir=out,
                             device=torch.device("cpu"), seed=0, meta={},
                             augment=build_augmentation(cfg.data.augmentations))


def precision_main(args: argparse.Namespace, images: torch.Tensor, labels: torch.Tensor) -> None:
    """Each recipe in fp32 and bf16, interleaved; bf16's speed-up over fp32."""
    with tempfile.TemporaryDirectory() as tmp:
        trainers = {(r, p): recipe_trainer(profile, images, labels, amp, Path(tmp) / f"{r}{p}")
                    for r, profile in RECIPES.items() for p, amp in PRECISIONS.items()}
        for trainer in trainers.values():  # warm-up
            trainer.train_epoch()
        rates: dict[tuple[str, str], list[float]] = {key: [] for key in trainers}
        keys = list(trainers)
        for r in range(args.rounds):
            for key in keys if r % 2 == 0 else keys[::-1]:
                rates[key].append(args.images / timed(trainers[key].train_epoch))
    print(f"{args.size} px, {args.images} images per epoch, {args.threads} threads, "
          f"{args.rounds} rounds; ganlab's train_epoch, channels_last, speed-up over fp32")
    for recipe, profile in RECIPES.items():
        base = statistics.median(rates[(recipe, "fp32")])
        for name in PRECISIONS:
            r = rates[(recipe, name)]
            med = statistics.median(r)
            print(f"  {recipe:<12} {f'({profile})':<19} {name}  {med:7.1f} img/s "
                  f"(range {min(r):.1f}-{max(r):.1f})  {med / base:5.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet18")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--images", type=int, default=256, help="images per timed epoch")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--augment", default=",".join(DEFAULT_CHAIN),
                        help="comma-separated augmentations of both loops")
    parser.add_argument("--precision", action="store_true",
                        help="time fp32 against bf16 on the cpu-best (resnet18) and "
                             "cpu-best-compact (compact_cnn) recipes instead")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    images = torch.randint(0, 256, (args.images, 3, args.size, args.size), dtype=torch.uint8)
    labels = torch.arange(args.images) % 2
    if args.precision:
        precision_main(args, images, labels)
        return
    augment = build_augment(tuple(a for a in args.augment.split(",") if a))
    with tempfile.TemporaryDirectory() as tmp:
        variants = {"bare timm": BareLoop(images, labels, args, augment).epoch,
                    "ganlab": make_ganlab(images, labels, args, augment, Path(tmp)).train_epoch}
        for fn in variants.values():  # warm-up
            fn()
        rates: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.rounds):
            for name, fn in variants.items():
                rates[name].append(args.images / timed(fn))
    print(f"{args.model}, {args.size} px, batch {args.batch}, {args.images} images per epoch, "
          f"{args.threads} threads, augmentations: {args.augment or 'none'}")
    med = {name: statistics.median(r) for name, r in rates.items()}
    for name, r in rates.items():
        print(f"  {name:<10} {med[name]:7.1f} img/s  (rounds: "
              f"{', '.join(f'{v:.1f}' for v in r)})")
    print(f"  ganlab / bare timm: {med['ganlab'] / med['bare timm']:.2f}x (target >= 0.9x)")
    augmentation_costs(args, args.batch / med["bare timm"])


if __name__ == "__main__":
    main()
