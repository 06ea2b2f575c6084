"""Plugin contracts as typing Protocols, and optional base helpers.

Plugins never need to import this module: a plain function returning the right kind of object
is a valid plugin. These types document the contracts and let type checkers verify plugins.

Image conventions: a *filter image* is a numpy ``uint8`` array (H, W, 3) in RGB order; a
*batch* is a float tensor (B, C, H, W) in [-1, 1] on the training device.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    import torch


@runtime_checkable
class Filter(Protocol):
    """``image -> image`` on uint8 (H, W, 3) RGB arrays; may change H and W."""

    def __call__(self, image: np.ndarray) -> np.ndarray: ...


@runtime_checkable
class Augmentation(Protocol):
    """Batch -> batch of the same shape, on the same device, values kept in [-1, 1].

    Randomness comes from the global torch RNG (seeded by the trainer) or from the optional
    ``generator`` keyword (a ``torch.Generator`` on the batch's device).
    """

    def __call__(self, batch: torch.Tensor) -> torch.Tensor: ...


@runtime_checkable
class GanLoss(Protocol):
    """Discriminator and generator losses of one GAN objective.

    ``d_loss`` receives the discriminator and both batches so gradient-penalty losses (WGAN-GP)
    can evaluate the discriminator on interpolates. ``d_real`` and ``d_fake`` are logits (B,);
    ``fake`` is detached from the generator.
    """

    def d_loss(
        self,
        *,
        d_real: torch.Tensor,
        d_fake: torch.Tensor,
        real: torch.Tensor,
        fake: torch.Tensor,
        discriminator: torch.nn.Module,
        labels: torch.Tensor | None,
    ) -> torch.Tensor: ...

    def g_loss(self, *, d_fake: torch.Tensor) -> torch.Tensor: ...


@runtime_checkable
class Generator(Protocol):
    """``forward(z, labels=None)``: (B, nz) noise -> (B, channels, S, S) in [-1, 1].

    Built by ``factory(nz=, image_size=, channels=, num_classes=, **params)``; integer labels
    (B,) are passed when ``num_classes > 0``.
    """

    def __call__(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor: ...


@runtime_checkable
class Discriminator(Protocol):
    """``forward(x, labels=None)``: (B, channels, S, S) -> raw logits (B,).

    Built by ``factory(image_size=, channels=, num_classes=, **params)``.
    """

    def __call__(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor: ...


@runtime_checkable
class Classifier(Protocol):
    """``forward(x)``: (B, channels, S, S) in [-1, 1] -> logits (B, num_classes).

    Built by ``factory(num_classes=, image_size=, channels=, **params)``.
    """

    def __call__(self, x: torch.Tensor) -> torch.Tensor: ...


class OptimizerFactory(Protocol):
    """``factory(params, **hyperparameters) -> torch.optim.Optimizer``."""

    def __call__(self, params: Any, /, **hyperparameters: Any) -> torch.optim.Optimizer: ...


def declare_space(**space: dict[str, Any]) -> Any:
    """Decorator that sets ``factory.search_space`` (plain dicts work just as well)."""

    def wrap(factory: Any) -> Any:
        factory.search_space = dict(space)
        return factory

    return wrap


# --- GAN training capabilities (discriminator augmentation) ---
@runtime_checkable
class GanAugmentation(Protocol):
    """Batch -> batch applied to real AND fake images before the discriminator.

    Must be differentiable (gradients reach the generator through the fake batch), draw its
    parameters per sample from the global torch RNG or the optional ``generator`` keyword, and
    keep shape, device and dtype. Values may leave [-1, 1] (e.g. a brightness shift).
    """

    def __call__(self, batch: torch.Tensor) -> torch.Tensor: ...


@runtime_checkable
class AdaptiveGanAugmentation(Protocol):
    """A GAN augmentation that tunes itself from the discriminator's logits (e.g. ADA's p).

    The trainer calls ``observe(d_real)`` with the detached real logits (B,) after every
    discriminator step, logs ``stats()`` (names -> floats) in each epoch's history, and saves
    ``state_dict()`` (plain numbers) in checkpoints and restores it with ``load_state_dict``.
    """

    def observe(self, d_real: torch.Tensor) -> None: ...

    def stats(self) -> dict[str, float]: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


@runtime_checkable
class ReportsDiscriminatorCollapse(Protocol):
    """A GAN loss that says whether "D loss near 0 while G loss explodes" means failure for it.

    ``watch_d_collapse`` False (e.g. WGAN-GP, whose critic loss has no floor) turns that
    health check off; losses without the attribute are watched.
    """

    watch_d_collapse: bool
