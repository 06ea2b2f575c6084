"""Checks of the optional capabilities declared in ``ganlab.contracts``, one per capability.

:data:`CAPABILITY_CHECKS` has one entry per capability that ``ganlab.contracts.capabilities()``
finds (a test fails when they drift). :func:`check_capabilities` builds a plugin, finds every
capability its factory or the object it returns has, and runs those checks.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganlab.contracts import UsesGanCheckpoint, capabilities
from ganlab.errors import PluginError
from ganlab.registry import registry_for
from ganlab.testing._checks import (
    BATCH,
    SIZE,
    ContractError,
    _batch,
    _tiny_space,
    check_search_space,
)


@dataclass
class Built:
    """A plugin under test: its factory, the object the factory returned, how it was built."""

    kind: str
    name: str
    factory: Callable[..., Any]
    obj: Any
    params: dict[str, Any]
    rebuild: Callable[..., Any]  # rebuild(**params) -> a new object of the same plugin


def _fail(b: Built, capability: str, message: str) -> ContractError:
    singular = registry_for(b.kind).singular
    return ContractError(f"{singular} plugin {b.name!r} ({capability}): {message}")


def _classifier_builder(name: str) -> Callable[..., Any]:
    reg = registry_for("classifiers")
    return lambda **params: reg.create(name, num_classes=2, image_size=SIZE, channels=3,
                                       **params)


def build(kind: str, name: str, **params: Any) -> Built:
    """Build plugin ``name`` of ``kind`` the way the contract checks do (tiny sizes, CPU)."""
    import torch

    reg = registry_for(kind)
    tiny = {"nz": 16, "image_size": SIZE, "channels": 3, "num_classes": 2, "seed": 0,
            "n_objectives": 1}
    structural = {k: _tiny_space() if k == "search_space" else tiny[k] for k in reg.structural}
    args: tuple[Any, ...] = (torch.nn.Linear(2, 2).parameters(),) if reg.positional else ()

    def rebuild(**p: Any) -> Any:
        return reg.create(name, *args, **structural, **p)

    torch.manual_seed(0)
    return Built(kind, name, reg.load(name), rebuild(**params), dict(params), rebuild)


# -- one check per capability -------------------------------------------------------------------
def _search_space(b: Built) -> None:
    check_search_space(b.kind, b.name)


def _collapse(b: Built) -> None:
    if not isinstance(b.obj.watch_d_collapse, bool):
        raise _fail(b, "ReportsDiscriminatorCollapse",
                    f"watch_d_collapse must be a bool, got {b.obj.watch_d_collapse!r}")


def _epoch_hook(b: Built) -> None:
    model = b.obj
    for epoch in (0, 1, 1000):
        model.on_epoch_start(epoch)
        model.zero_grad()
        out = model(_batch(epoch, "cpu")).float().mean()
        if out.requires_grad:
            out.backward()
    if not any(p.requires_grad and p.grad is not None for p in model.parameters()):
        raise _fail(b, "EpochHook", "after on_epoch_start(1000) no parameter trains")


def _rebuilds_params(b: Built) -> None:
    override = b.obj.rebuild_params
    if not isinstance(override, dict):
        raise _fail(b, "RebuildsParams", f"rebuild_params must be a dict, got {override!r}")
    again = b.rebuild(**{**b.params, **override})
    try:
        again.load_state_dict(b.obj.state_dict())
    except RuntimeError as exc:
        raise _fail(b, "RebuildsParams", f"the model rebuilt from rebuild_params {override} "
                                         f"does not take the original's weights: {exc}") from exc


def _gan_checkpoint(b: Built) -> None:
    param = b.factory.gan_checkpoint_param
    sig = inspect.signature(b.factory)
    if not isinstance(param, str) or param not in sig.parameters:
        raise _fail(b, "UsesGanCheckpoint", f"gan_checkpoint_param {param!r} is not a keyword "
                                            f"parameter of the factory")
    if sig.parameters[param].default is not None:
        raise _fail(b, "UsesGanCheckpoint", f"parameter {param!r} must default to None (a "
                                            f"model without GAN pretraining)")


def _adaptive_augmentation(b: Built) -> None:
    import io

    import torch

    aug = b.obj
    before = aug.state_dict()
    for sign in (1.0, -1.0):
        for _ in range(64):
            aug.observe(torch.full((BATCH,), 3.0 * sign))
        stats = aug.stats()
        if not isinstance(stats, dict) or not all(isinstance(v, float) for v in stats.values()):
            raise _fail(b, "AdaptiveGanAugmentation", f"stats() must map names to floats, got "
                                                      f"{stats!r}")
    state = aug.state_dict()
    again = b.rebuild(**b.params)
    again.load_state_dict(state)
    if again.stats() != aug.stats():
        raise _fail(b, "AdaptiveGanAugmentation", "load_state_dict(state_dict()) does not "
                                                  "restore the same stats()")
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    torch.load(buffer, weights_only=True)  # checkpoints load with weights_only=True
    aug.load_state_dict(before)


def _discriminator_features(b: Built) -> None:
    import torch

    d = b.obj.eval()
    x, labels = _batch(0, "cpu"), torch.arange(BATCH) % 2
    width = b.obj.feature_width
    if not isinstance(width, int) or width < 1:
        raise _fail(b, "DiscriminatorFeatures", f"feature_width must be an int >= 1, got "
                                                f"{width!r}")
    out = d.forward_with_features(x, labels)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise _fail(b, "DiscriminatorFeatures", "forward_with_features must return (logits, "
                                                "features)")
    logits, features = out
    if tuple(features.shape) != (BATCH, width):
        raise _fail(b, "DiscriminatorFeatures", f"features must be (B, feature_width) = "
                                                f"{(BATCH, width)}, got {tuple(features.shape)}")
    if not torch.allclose(logits, d(x, labels), atol=1e-5):
        raise _fail(b, "DiscriminatorFeatures", "its logits differ from forward()'s")
    x.requires_grad_(True)
    d.forward_with_features(x, labels)[1].sum().backward()
    if x.grad is None or not x.grad.abs().sum() > 0:
        raise _fail(b, "DiscriminatorFeatures", "no gradient reaches the input through the "
                                                "features")


def _image_sizes(b: Built) -> None:
    """The checks' own size is supported, the answer is text, and every side the factory
    calls supported among a few builds (and a refused one does not silently build)."""
    say = b.factory.unsupported_image_size
    if say(SIZE) != "":
        raise _fail(b, "DeclaresImageSizes", f"unsupported_image_size({SIZE}) must be '' (the "
                                             f"contract checks build at {SIZE} px)")
    for side in (7, 20, 48, 64):
        problem = say(side)
        if not isinstance(problem, str):
            raise _fail(b, "DeclaresImageSizes", "unsupported_image_size must return a str")
        try:
            _build_at(b, side)
            built = True
        except (PluginError, ValueError, RuntimeError):
            built = False
        if problem == "" and not built:
            raise _fail(b, "DeclaresImageSizes", f"says it supports {side} px but does not build")
        if problem and built:
            raise _fail(b, "DeclaresImageSizes", f"refuses {side} px ({problem}) but builds it")


def _build_at(b: Built, side: int) -> Any:
    """Build ``b``'s plugin at ``side`` px and run one batch through it."""
    import torch

    reg = registry_for(b.kind)
    tiny = {"nz": 16, "image_size": side, "channels": 3, "num_classes": 2}
    obj = reg.create(b.name, **{k: tiny[k] for k in reg.structural if k in tiny}, **b.params)
    with torch.no_grad():
        if b.kind == "generators":
            return obj(torch.randn(2, 16), torch.zeros(2, dtype=torch.long))
        return obj(torch.zeros(2, 3, side, side), torch.zeros(2, dtype=torch.long))


CAPABILITY_CHECKS: dict[str, Callable[[Built], None]] = {
    "DeclaresSearchSpace": _search_space,
    "DeclaresImageSizes": _image_sizes,
    "ReportsDiscriminatorCollapse": _collapse,
    "EpochHook": _epoch_hook,
    "RebuildsParams": _rebuilds_params,
    "UsesGanCheckpoint": _gan_checkpoint,
    "AdaptiveGanAugmentation": _adaptive_augmentation,
    "DiscriminatorFeatures": _discriminator_features,
}
"""Capability name -> its check; one entry per capability of ``ganlab.contracts``."""


def check_capabilities(kind: str, name: str, **params: Any) -> list[str]:
    """Run the check of every capability plugin ``name`` has; return the capabilities' names."""
    b = build(kind, name, **params)
    found = []
    for cap in capabilities():
        if cap.kind not in ("*", registry_for(kind).kind):
            continue
        if isinstance(b.factory if cap.on_factory else b.obj, cap.protocol):
            CAPABILITY_CHECKS[cap.name](b)
            found.append(cap.name)
    return found


# -- GAN pretraining ------------------------------------------------------------------------------
def check_gan_pretraining(name: str, checkpoint: str | Path, **params: Any) -> None:
    """Classifier ``name`` (``UsesGanCheckpoint``) builds from ``checkpoint`` and uses it.

    The same seed gives different outputs with and without the checkpoint: the GAN weights
    reach the model.
    """
    import torch

    factory = registry_for("classifiers").load(name)
    if not isinstance(factory, UsesGanCheckpoint):
        raise ContractError(f"classifier plugin {name!r} has no gan_checkpoint_param "
                            f"(ganlab.contracts.UsesGanCheckpoint)")
    param = factory.gan_checkpoint_param
    make = _classifier_builder(name)
    x = _batch(0, "cpu")
    outs = []
    for value in (str(checkpoint), None):
        torch.manual_seed(0)
        model = make(**{**params, param: value}).eval()
        with torch.no_grad():
            outs.append(model(x))
    if tuple(outs[0].shape) != (BATCH, 2):
        raise ContractError(f"classifier plugin {name!r} built from a GAN checkpoint gives "
                            f"logits {tuple(outs[0].shape)}, expected ({BATCH}, 2)")
    if torch.allclose(outs[0], outs[1]):
        raise ContractError(f"classifier plugin {name!r}: the GAN checkpoint in {param!r} does "
                            f"not change the model (same output with and without it)")
