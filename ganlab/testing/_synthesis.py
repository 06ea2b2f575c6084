"""The contract check of synthesis strategies, run on a tiny GAN and a tiny real-data classifier.

A strategy gets ganlab's own ``SynthesisContext`` (``ganlab.classify.SynthesisRun``) over 16
random real images, an untrained 32 px conditional GAN checkpoint and an untrained classifier
as the real-data reference, so the check exercises the same code a training run does.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from ganlab.classify import SynthesisRun, plan_stages
from ganlab.errors import GanlabError
from ganlab.registry import CLASSIFIERS, registry_for
from ganlab.testing._errors import ContractError
from ganlab.testing._tiny import tiny_gan_checkpoint

N_REAL = 16  # real training images of the check (8 per class)
SIZE = 32  # image side, as in every other check (ganlab.testing.SIZE)


def _fail(name: str, message: str) -> AssertionError:
    return ContractError(f"synthesis plugin {name!r}: {message}")


def _context(checkpoint: Path | None, seed: int) -> Any:
    import torch

    g = torch.Generator().manual_seed(99)
    images = torch.randint(0, 256, (N_REAL, 3, SIZE, SIZE), generator=g, dtype=torch.uint8)
    labels = torch.arange(N_REAL) % 2

    def reference() -> torch.nn.Module:
        torch.manual_seed(0)
        return CLASSIFIERS.create("compact_cnn", num_classes=2, image_size=SIZE, channels=3,
                                  width=4, depth=2)

    return SynthesisRun(images, labels, class_names=("benign", "malignant"),
                        generator_checkpoint=checkpoint, device=torch.device("cpu"), seed=seed,
                        reference=reference)


def _plan(name: str, strategy: Any, checkpoint: Path | None, seed: int) -> list[Any]:
    try:
        return plan_stages(strategy, _context(checkpoint, seed))
    except GanlabError as exc:
        raise _fail(name, f"stages() broke the contract: {exc}") from None


def _same(a: list[Any], b: list[Any]) -> bool:
    import torch

    return len(a) == len(b) and all(
        torch.equal(x.images, y.images) and torch.equal(x.labels, y.labels)
        and x.n_synthetic == y.n_synthetic and x.epochs == y.epochs
        for x, y in zip(a, b, strict=False))


def _check_stage(name: str, i: int, stage: Any) -> None:
    import torch

    if stage.images.dtype != torch.uint8 or tuple(stage.images.shape[1:]) != (3, SIZE, SIZE):
        raise _fail(name, f"stage {i}: images must be uint8 (N, 3, {SIZE}, {SIZE}), got "
                          f"{stage.images.dtype} {tuple(stage.images.shape)}")
    if not set(stage.labels.unique().tolist()) <= {0, 1}:
        raise _fail(name, f"stage {i}: labels must be 0 or 1")
    if stage.refresh is not None:
        images, labels = stage.refresh(1)
        again, _ = stage.refresh(1)
        if images.shape != stage.images.shape or labels.shape != stage.labels.shape:
            raise _fail(name, f"stage {i}: refresh(epoch) must keep the stage's size")
        if not torch.equal(images, again):
            raise _fail(name, f"stage {i}: refresh(epoch) must be a pure function of the epoch")


def check_synthesis(name: str, *, seed: int = 0, **params: Any) -> None:
    """``needs_gan`` is a bool; ``stages(context)`` gives valid, seeded stages (uint8 images,
    0/1 labels, ``n_synthetic`` within the stage, epochs on every stage but the last, a pure
    ``refresh``); a strategy without ``needs_gan`` runs without a GAN; the same seed gives the
    same stages."""
    strategy = registry_for("synthesis").create(name, **params)
    if not isinstance(strategy.needs_gan, bool):
        raise _fail(name, f"needs_gan must be a bool, got {strategy.needs_gan!r}")
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = tiny_gan_checkpoint(Path(tmp) / "gan.pt") if strategy.needs_gan else None
        first = _plan(name, strategy, checkpoint, seed)
        for i, stage in enumerate(first, start=1):
            _check_stage(name, i, stage)
        if not _same(first, _plan(name, strategy, checkpoint, seed)):
            raise _fail(name, f"stages() is not deterministic: seed {seed} gave two plans")
        if strategy.needs_gan and not any(s.n_synthetic for s in first):
            raise _fail(name, "needs_gan is True but no stage holds a generated image")
