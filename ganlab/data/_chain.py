"""Building the preprocessing filter chain and the batch augmentation from plugin references."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ganlab.errors import PluginError
from ganlab.registry import AUGMENTATIONS, FILTERS

if TYPE_CHECKING:
    import torch

    from ganlab.config import PluginRef


def _name_params(ref: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(ref, str):
        return ref, {}
    if isinstance(ref, dict):
        return ref["name"], {k: v for k, v in ref.items() if k != "name"}
    return ref.name, dict(ref.params)


def resolved_filters(refs: Sequence[PluginRef | dict | str]) -> list[dict[str, Any]]:
    """Each filter with all its parameters (defaults filled in), its entry point and version.

    This is what identifies a chain in cache keys and protocols: writing a default explicitly
    or leaving it out gives the same chain.
    """
    out = []
    for ref in refs:
        name, params = _name_params(ref)
        defaults = {p.name: p.default for p in FILTERS.parameters(name) if not p.required}
        info = FILTERS.info(name)
        out.append(
            {"name": name, "params": {**defaults, **params}, "plugin": info.value,
             "version": info.version}
        )
    return out


def build_filter_steps(
    refs: Sequence[PluginRef | dict | str],
) -> list[tuple[str, Callable[[np.ndarray], np.ndarray]]]:
    """(name, filter) for every step of the chain, created through the filter registry."""
    steps = []
    for ref in refs:
        name, params = _name_params(ref)
        steps.append((name, FILTERS.create(name, **params)))
    return steps


def run_steps(
    steps: Sequence[tuple[str, Callable[[np.ndarray], np.ndarray]]], image: np.ndarray
) -> np.ndarray:
    """Apply each step, checking that every filter keeps a uint8 (H, W, 3) image."""
    for name, step in steps:
        image = step(image)
        if (
            not isinstance(image, np.ndarray)
            or image.dtype != np.uint8
            or image.ndim != 3
            or image.shape[2] != 3
        ):
            got = getattr(image, "dtype", type(image).__name__), getattr(image, "shape", "")
            raise PluginError(
                f"filter plugin {name!r} returned {got[0]} {got[1]}; a filter must return a uint8 "
                "(H, W, 3) RGB array. Fix the plugin."
            )
    return image


def build_filter_chain(refs: Sequence[PluginRef]) -> Callable[[np.ndarray], np.ndarray]:
    """One callable ``uint8 (H, W, 3) RGB -> uint8 (H', W', 3)`` applying ``refs`` in order."""
    steps = build_filter_steps(refs)

    def chain(image: np.ndarray) -> np.ndarray:
        return run_steps(steps, image)

    chain.steps = steps  # type: ignore[attr-defined]
    return chain


def build_augmentation(
    refs: Sequence[PluginRef],
) -> Callable[..., torch.Tensor] | None:
    """One callable over float (B, C, H, W) batches in [-1, 1], or ``None`` for no refs.

    The callable accepts ``generator=`` (a ``torch.Generator``) and passes it to every step.
    """
    if not refs:
        return None
    steps = []
    for ref in refs:
        name, params = _name_params(ref)
        steps.append((name, AUGMENTATIONS.create(name, **params)))

    def augment(batch: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        for _, step in steps:
            batch = step(batch, generator=generator)
        return batch

    augment.steps = steps  # type: ignore[attr-defined]
    return augment
