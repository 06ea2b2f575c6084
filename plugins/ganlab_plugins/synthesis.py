"""Synthesis strategies: how generated images enter classifier training (``classifier.synthesis``).

Each factory returns an object with ``needs_gan`` and ``stages(context)`` (the
``SynthesisStrategy`` contract of ``ganlab.contracts``). Generated images are drawn through the
context from the run's class-conditional GAN with seeds derived from the run's seed, so the
same seed gives the same training sets and resume stays exact.

- ``mix``: real images plus ``ratio`` generated images per real one (class-balanced), drawn
  once or afresh every epoch; ``real = false`` trains on generated images only (TSTR);
  ``repeat_real = true`` is its control: as many real images drawn again instead, so real only
  trains the same epochs with the same optimizer steps per epoch (no GAN).
- ``pretrain``: ``n`` generated images for ``epochs`` epochs, then the recipe on the real ones.
- ``filter``: like ``mix``, but only generated images that a real-data classifier (or the GAN's
  class head) assigns to their conditioning class with probability >= ``tau``, and that lie no
  nearer than ``delta`` to a real training image in that classifier's feature space.
- ``class``: generated images for chosen classes only, or a ratio per class.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import torch

_DRAW_CHUNK = 512  # images per class_probabilities / features call
_GRID = 32  # images in each sample grid a strategy returns


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _stage(images: torch.Tensor, labels: torch.Tensor, n_synthetic: int, **extra: Any) -> dict:
    return {"images": images, "labels": labels, "n_synthetic": n_synthetic, **extra}


def _with_real(ctx: Any, images: torch.Tensor, labels: torch.Tensor,
               real: bool) -> tuple[torch.Tensor, torch.Tensor]:
    if not real:
        return images, labels
    return torch.cat([ctx.images, images]), torch.cat([ctx.labels, labels])


@dataclass(frozen=True)
class Mix:
    """Real images plus ``ratio`` class-balanced generated images per real one."""

    ratio: float = 1.0
    refresh: str = "once"
    real: bool = True
    repeat_real: bool = False

    @property
    def needs_gan(self) -> bool:
        return not self.repeat_real and (self.ratio > 0 or not self.real)

    def stages(self, ctx: Any) -> list[dict]:
        n_real = len(ctx.labels)
        if self.repeat_real:
            return [_repeat_real(ctx, max(2, round(self.ratio * n_real)) if self.ratio else 0)]
        if not self.needs_gan:
            return [_stage(ctx.images, ctx.labels, 0)]
        n = max(2, round((self.ratio if self.ratio > 0 else 1.0) * n_real))
        images, labels = _with_real(ctx, *ctx.generate(n), self.real)
        stage = _stage(images, labels, n)
        if self.refresh == "epoch":
            def refresh(epoch: int) -> tuple[torch.Tensor, torch.Tensor]:
                return _with_real(ctx, *ctx.generate(n, seed=ctx.epoch_seed(epoch)), self.real)

            stage["refresh"] = refresh
        return [stage]


def _repeat_real(ctx: Any, n: int) -> dict:
    """The steps control: ``n`` real images drawn again (whole copies first, the rest seeded
    at random without replacement), so the run takes the optimizer steps of a mix."""
    copies, rest = divmod(n, len(ctx.labels))
    g = torch.Generator().manual_seed(ctx.seed)
    idx = torch.cat([torch.arange(len(ctx.labels)).repeat(copies),
                     torch.randperm(len(ctx.labels), generator=g)[:rest]])
    return _stage(torch.cat([ctx.images, ctx.images[idx]]),
                  torch.cat([ctx.labels, ctx.labels[idx]]), 0, info={"repeated_real": n})


def mix(*, ratio: float = 1.0, refresh: Literal["once", "epoch"] = "once",
        real: bool = True, repeat_real: bool = False) -> Mix:
    """Real + ratio generated images per real one, drawn once or every epoch."""
    _check(ratio >= 0, f"ratio must be >= 0, got {ratio}")
    _check(refresh in ("once", "epoch"), f"refresh must be 'once' or 'epoch', got {refresh!r}")
    _check(real or not repeat_real, "repeat_real (the steps control) needs real = true")
    return Mix(float(ratio), refresh, bool(real), bool(repeat_real))


mix.search_space = {"ratio": {"type": "float", "low": 0.25, "high": 4.0, "log": True}}


@dataclass(frozen=True)
class Pretrain:
    """``n`` generated images for ``epochs`` epochs, then the recipe on the real images."""

    n: int = 5000
    epochs: int = 5
    needs_gan: bool = field(default=True, init=False)

    def stages(self, ctx: Any) -> list[dict]:
        images, labels = ctx.generate(self.n)
        return [_stage(images, labels, self.n, epochs=self.epochs),
                _stage(ctx.images, ctx.labels, 0)]


def pretrain(*, n: int = 5000, epochs: int = 5) -> Pretrain:
    """Pre-train on n generated images, then fine-tune on the real ones with the recipe."""
    _check(n >= 1, f"n (generated images) must be >= 1, got {n}")
    _check(epochs >= 1, f"epochs must be >= 1, got {epochs}")
    return Pretrain(int(n), int(epochs))


pretrain.search_space = {"n": {"type": "int", "low": 1000, "high": 20000, "log": True},
                         "epochs": {"type": "int", "low": 1, "high": 10}}


@dataclass(frozen=True)
class Filter:
    """Generated images kept by a real-data classifier's confidence and a distance rule."""

    ratio: float = 1.0
    tau: float = 0.5
    delta: float = 0.0
    source: str = "classifier"
    oversample: float = 2.0
    needs_gan: bool = field(default=True, init=False)

    def stages(self, ctx: Any) -> list[dict]:
        target = max(2, round(self.ratio * len(ctx.labels)))
        images, labels = ctx.generate(max(target, round(self.oversample * target)))
        confident = torch.cat([
            ctx.class_probabilities(images[i:i + _DRAW_CHUNK], labels[i:i + _DRAW_CHUNK],
                                    self.source)
            .gather(1, labels[i:i + _DRAW_CHUNK, None])[:, 0]
            for i in range(0, len(labels), _DRAW_CHUNK)
        ]) >= self.tau
        far = torch.ones_like(confident)
        if self.delta > 0:
            far = _nearest_real(ctx, images) >= self.delta
        keep = _balanced_first(confident & far, labels, target)
        info = {"candidates": len(labels), "confident": int(confident.sum()),
                "too_near": int((~far).sum()), "kept": int(keep.sum()), "target": target}
        samples = {"kept": images[keep][:_GRID], "dropped": images[~(confident & far)][:_GRID]}
        images, labels = images[keep], labels[keep]
        return [_stage(*_with_real(ctx, images, labels, True), len(labels), info=info,
                       samples=samples)]


def _nearest_real(ctx: Any, images: torch.Tensor) -> torch.Tensor:
    """Distance of each image to its nearest real training image (L2-normalised features)."""

    def feats(x: torch.Tensor) -> torch.Tensor:
        out = torch.cat([ctx.features(x[i:i + _DRAW_CHUNK])
                         for i in range(0, len(x), _DRAW_CHUNK)])
        return torch.nn.functional.normalize(out.float(), dim=1)

    real, fake = feats(ctx.images), feats(images)
    return torch.cat([torch.cdist(fake[i:i + _DRAW_CHUNK], real).min(1).values
                      for i in range(0, len(fake), _DRAW_CHUNK)])


def _balanced_first(mask: torch.Tensor, labels: torch.Tensor, target: int) -> torch.Tensor:
    """The first kept images of each class, at most ``target // 2`` (label 0 gets the odd one)."""
    out = torch.zeros_like(mask)
    for label, quota in ((0, target - target // 2), (1, target // 2)):
        idx = torch.nonzero(mask & (labels == label))[:, 0][:quota]
        out[idx] = True
    return out


def filter_strategy(*, ratio: float = 1.0, tau: float = 0.5, delta: float = 0.0,
                    source: Literal["classifier", "gan"] = "classifier",
                    oversample: float = 2.0) -> Filter:
    """Keep generated images a real-data classifier trusts (p >= tau) and far from real ones."""
    _check(0.0 <= tau <= 1.0, f"tau must be in [0, 1], got {tau}")
    _check(delta >= 0, f"delta must be >= 0, got {delta}")
    _check(ratio > 0, f"ratio must be > 0, got {ratio}")
    _check(oversample >= 1, f"oversample must be >= 1, got {oversample}")
    _check(source in ("classifier", "gan"),
           f"source must be 'classifier' or 'gan', got {source!r}")
    return Filter(float(ratio), float(tau), float(delta), source, float(oversample))


filter_strategy.search_space = {"tau": {"type": "float", "low": 0.5, "high": 0.95},
                                "delta": {"type": "float", "low": 0.0, "high": 0.5}}


@dataclass(frozen=True)
class ClassRatio:
    """Generated images for chosen classes only (or a ratio per class)."""

    classes: tuple[str, ...] = ()
    ratio: float = 1.0
    ratios: tuple[float, ...] = ()
    needs_gan: bool = field(default=True, init=False)

    def per_label(self, class_names: tuple[str, str]) -> tuple[float, float]:
        if self.ratios:
            return float(self.ratios[0]), float(self.ratios[1])
        chosen = self.classes or (class_names[1],)
        unknown = [c for c in chosen if c not in class_names]
        _check(not unknown, f"classes {unknown} are not classes of the data {class_names}")
        return tuple(self.ratio if name in chosen else 0.0 for name in class_names)  # type: ignore

    def stages(self, ctx: Any) -> list[dict]:
        counts = [int((ctx.labels == c).sum()) for c in (0, 1)]
        wanted = [round(r * n) for r, n in zip(self.per_label(ctx.class_names), counts,
                                               strict=True)]
        labels = torch.cat([torch.full((n,), c, dtype=torch.long) for c, n in enumerate(wanted)])
        if len(labels) == 0:
            return [_stage(ctx.images, ctx.labels, 0, info={"per_label": wanted})]
        images, labels = ctx.generate(len(labels), labels=labels)
        return [_stage(*_with_real(ctx, images, labels, True), len(labels),
                       info={"per_label": wanted})]


def class_strategy(*, classes: tuple[str, ...] = (), ratio: float = 1.0,
                   ratios: tuple[float, ...] = ()) -> ClassRatio:
    """Synthesis for chosen classes only (default: the positive one), or a ratio per class."""
    _check(ratio >= 0, f"ratio must be >= 0, got {ratio}")
    _check(not ratios or (len(ratios) == 2 and min(ratios) >= 0),
           f"ratios must be two numbers >= 0 (labels 0 and 1), got {list(ratios)}")
    _check(not (ratios and classes), "set classes (with ratio) or ratios, not both")
    return ClassRatio(tuple(classes), float(ratio), tuple(float(r) for r in ratios))


class_strategy.search_space = {"ratio": {"type": "float", "low": 0.25, "high": 4.0, "log": True}}
