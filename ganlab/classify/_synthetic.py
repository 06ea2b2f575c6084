"""Generated images in classifier training: the synthesis strategy of a run and its stages.

A strategy (plugin kind ``synthesis``, ``classifier.synthesis``) turns the real training images
and the run's conditional GAN into one or more training stages (see
``ganlab.contracts.SynthesisStrategy``). The older ``classifier.mode`` / ``synthetic_ratio``
settings are the ``mix`` strategy (:func:`synthesis_ref`). Generated images are
**class-balanced** unless a strategy asks for labels, seeded from the run's seed (an epoch's
fresh images by :func:`epoch_seed`); the validation and test sets stay real.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ganlab.classify._features import penultimate_features
from ganlab.config import ClassifierConfig, PluginRef
from ganlab.errors import ConfigError, GanlabError
from ganlab.gan import class_head_probabilities, generate, load_generator, save_grid
from ganlab.registry import SYNTHESIS


def load_label_generator(
    generator_checkpoint: str | Path,
    *,
    image_size: int,
    class_names: tuple[str, str],
    device: torch.device,
) -> tuple[torch.nn.Module, int]:
    """The conditional generator of a GAN checkpoint and its latent size, checked against the
    classifier data (image size, class names)."""
    generator, meta = load_generator(generator_checkpoint, device=device)
    if not meta.get("num_classes"):
        raise ConfigError(
            f"GAN checkpoint {generator_checkpoint} holds an unconditional generator; labelled "
            f"synthetic images need gan.conditional = true"
        )
    if meta.get("image_size") not in (None, image_size):
        raise ConfigError(
            f"GAN checkpoint {generator_checkpoint} makes {meta['image_size']} px images, the "
            f"classifier data is {image_size} px; set the same data.image_size for both"
        )
    names = tuple(meta.get("class_names") or class_names)
    if names != tuple(class_names):
        raise ConfigError(
            f"GAN checkpoint {generator_checkpoint} was trained on classes {names}, the data "
            f"has {tuple(class_names)}; use a GAN trained on the same image set"
        )
    return generator, int(meta["nz"])


def _draw(generator: torch.nn.Module, nz: int, n: int, *, device: torch.device,
          seed: int, labels: Tensor | None = None) -> tuple[Tensor, Tensor]:
    labels = torch.arange(n) % 2 if labels is None else labels.long().cpu()
    images = generate(generator, n, nz=nz, labels=labels, device=device, seed=seed)
    return images.to(torch.uint8).cpu(), labels.long()


def synthesize(
    generator_checkpoint: str | Path,
    n: int,
    *,
    image_size: int,
    class_names: tuple[str, str],
    device: torch.device,
    seed: int,
) -> tuple[Tensor, Tensor]:
    """``n`` class-balanced uint8 images and their labels from a conditional GAN checkpoint."""
    generator, nz = load_label_generator(generator_checkpoint, image_size=image_size,
                                         class_names=class_names, device=device)
    return _draw(generator, nz, n, device=device, seed=seed)


def epoch_seed(seed: int, epoch: int) -> int:
    """Seed of epoch ``epoch``'s synthetic images (epoch 0: the run's seed, as when drawn once)."""
    return seed + 1_000_003 * epoch


def synthesis_ref(cfg: ClassifierConfig) -> PluginRef | None:
    """The run's synthesis strategy: ``classifier.synthesis``, or the ``mix`` strategy that the
    older ``mode`` / ``synthetic_ratio`` / ``synthetic_refresh`` settings mean (``None``: real
    images only)."""
    if cfg.synthesis is not None:
        if cfg.mode != "real":
            raise ConfigError(
                f"classifier.synthesis ({cfg.synthesis.name!r}) and classifier.mode = "
                f"{cfg.mode!r} both say how generated images are used",
                path="classifier.synthesis",
                hint="keep classifier.synthesis and remove mode and synthetic_ratio (mode = "
                     "\"real+synthetic\" with synthetic_ratio = r is synthesis = {name = "
                     "\"mix\", ratio = r})",
            )
        return cfg.synthesis
    if cfg.mode == "real":
        return None
    return PluginRef("mix", {"ratio": cfg.synthetic_ratio, "refresh": cfg.synthetic_refresh,
                             "real": cfg.mode != "synthetic"})


def build_strategy(ref: PluginRef | None) -> Any:
    """The strategy object of ``ref`` (``None`` for none); bad parameters name the key."""
    if ref is None:
        return None
    try:
        return SYNTHESIS.create(ref.name, **ref.params)
    except GanlabError as exc:
        raise ConfigError(str(exc), path="classifier.synthesis") from None


def uses_gan(cfg: ClassifierConfig) -> bool:
    """Whether the classifier's training draws images from the run's GAN."""
    strategy = build_strategy(synthesis_ref(cfg))
    return strategy is not None and bool(strategy.needs_gan)


@dataclass
class Stage:
    """One training stage of a strategy, checked (see ``ganlab.contracts.SynthesisStrategy``)."""

    images: Tensor
    labels: Tensor
    n_synthetic: int = 0
    epochs: int | None = None
    refresh: Callable[[int], tuple[Tensor, Tensor]] | None = None
    info: dict[str, Any] = field(default_factory=dict)
    samples: dict[str, Tensor] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        """The stage in metrics.json's protocol."""
        syn = self.labels[len(self.labels) - self.n_synthetic:]
        return {"n_train": len(self.labels), "n_synthetic": self.n_synthetic,
                "synthetic_per_label": [int((syn == c).sum()) for c in (0, 1)],
                "epochs": self.epochs, "refresh": self.refresh is not None, **self.info}


class SynthesisRun:
    """The ``SynthesisContext`` ganlab hands a strategy: real images, the GAN, a real-data
    classifier (trained on demand by ``reference``) and the GAN's class head."""

    def __init__(self, images: Tensor, labels: Tensor, *, class_names: tuple[str, str],
                 generator_checkpoint: Path | None, device: torch.device, seed: int,
                 reference: Callable[[], nn.Module]) -> None:
        self.images, self.labels = images, labels
        self.class_names, self.seed, self.device = tuple(class_names), seed, device
        self._checkpoint, self._reference = generator_checkpoint, reference
        self._generator: tuple[nn.Module, int] | None = None
        self._model: nn.Module | None = None
        self._features: Callable[[Tensor], Tensor] | None = None
        self._head: Callable[[Tensor, Tensor], Tensor] | None = None

    def epoch_seed(self, epoch: int) -> int:
        return epoch_seed(self.seed, epoch)

    def generate(self, n: int, labels: Tensor | None = None,
                 seed: int | None = None) -> tuple[Tensor, Tensor]:
        if self._checkpoint is None:
            raise ConfigError(
                "classifier.synthesis needs a GAN checkpoint", path="generator_checkpoint",
                hint="enable [gan] in the study, or give the checkpoint of a trained GAN")
        if self._generator is None:
            self._generator = load_label_generator(
                self._checkpoint, image_size=int(self.images.shape[-1]),
                class_names=self.class_names, device=self.device)
        generator, nz = self._generator
        return _draw(generator, nz, n, device=self.device,
                     seed=self.seed if seed is None else seed, labels=labels)

    def class_probabilities(self, images: Tensor, labels: Tensor, source: str) -> Tensor:
        if source == "gan":
            if self._head is None:
                self._head = class_head_probabilities(self._checkpoint, device=self.device)
            return self._head(images, labels)
        model = self._real_model()  # trained here on first use, outside no_grad
        with torch.no_grad():
            logits = model(images.to(self.device).float() / 127.5 - 1.0)
        return logits.float().softmax(1).cpu()

    def features(self, images: Tensor) -> Tensor:
        if self._features is None:
            self._features = penultimate_features(self._real_model(), device=self.device)
        return self._features(images).cpu()

    def _real_model(self) -> nn.Module:
        if self._model is None:
            self._model = self._reference().to(self.device).eval()
        return self._model


def plan_stages(strategy: Any, context: SynthesisRun) -> list[Stage]:
    """The checked stages of ``strategy`` (a single real stage without one)."""
    if strategy is None:
        return [Stage(context.images, context.labels)]
    try:
        raw = strategy.stages(context)
    except ValueError as exc:  # the strategy's parameters do not fit this data
        raise ConfigError(str(exc), path="classifier.synthesis") from None
    if not raw:
        raise ConfigError("classifier.synthesis: the strategy returned no training stage")
    stages = [Stage(s["images"], s["labels"].long(), int(s.get("n_synthetic", 0)),
                    s.get("epochs"), s.get("refresh"), dict(s.get("info") or {}),
                    dict(s.get("samples") or {})) for s in raw]
    for i, stage in enumerate(stages):
        last = i == len(stages) - 1
        if (stage.epochs is None) != last or (stage.epochs is not None and stage.epochs < 1):
            raise ConfigError(
                f"classifier.synthesis: stage {i + 1} of {len(stages)} has epochs = "
                f"{stage.epochs!r}; every stage but the last needs epochs >= 1, the last None")
        if len(stage.images) != len(stage.labels) or not 0 <= stage.n_synthetic <= len(
                stage.labels) or len(stage.labels) < 2:
            raise ConfigError(
                f"classifier.synthesis: stage {i + 1} has {len(stage.images)} images, "
                f"{len(stage.labels)} labels and n_synthetic = {stage.n_synthetic}")
    return stages


def write_sample_grids(stages: list[Stage], out_dir: Path) -> list[Path]:
    """The strategies' ``samples`` as ``synthesis-<name>.png`` grids in ``out_dir``."""
    paths = []
    for stage in stages:
        for name, images in stage.samples.items():
            if len(images):
                safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in str(name))
                paths.append(save_grid(images[:64].to(torch.uint8).cpu(),
                                       Path(out_dir) / f"synthesis-{safe}.png"))
    return paths
