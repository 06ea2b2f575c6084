"""The plugin kinds and their contracts (see ``docs/plugins.md``)."""

from __future__ import annotations

from ganlab.registry._registry import Registry

FILTERS = Registry(
    "filters",
    contract="A filter factory returns a callable image -> image on uint8 HxWx3 RGB numpy arrays.",
)
AUGMENTATIONS = Registry(
    "augmentations",
    contract=(
        "An augmentation factory returns a callable on float (B, C, H, W) batches in [-1, 1]."
    ),
)
GENERATORS = Registry(
    "generators",
    structural=("nz", "image_size", "channels", "num_classes"),
    contract="A generator factory returns an nn.Module; forward(z, labels=None) -> (B, C, S, S).",
)
DISCRIMINATORS = Registry(
    "discriminators",
    structural=("image_size", "channels", "num_classes"),
    contract="A discriminator factory returns an nn.Module; forward(x, labels=None) -> (B,).",
)
LOSSES = Registry(
    "losses",
    contract="A loss factory returns an object with d_loss(...) and g_loss(...); see GanLoss.",
)
OPTIMIZERS = Registry(
    "optimizers",
    positional=1,
    contract="An optimizer factory is called as factory(params, **hp) -> torch.optim.Optimizer.",
)
CLASSIFIERS = Registry(
    "classifiers",
    structural=("num_classes", "image_size", "channels"),
    contract="A classifier factory returns an nn.Module; forward(x) -> (B, num_classes) logits.",
)

GAN_AUGMENTATIONS = Registry(
    "gan_augmentations",
    contract=(
        "A GAN augmentation factory returns a differentiable callable on float (B, C, H, W) "
        "batches, applied to real and fake images before the discriminator; see GanAugmentation."
    ),
)

REGISTRIES: dict[str, Registry] = {
    r.kind: r
    for r in (
        FILTERS, AUGMENTATIONS, GENERATORS, DISCRIMINATORS, LOSSES, OPTIMIZERS, CLASSIFIERS,
        GAN_AUGMENTATIONS,
    )
}


def registry_for(kind: str) -> Registry:
    """The registry of ``kind`` (plural, e.g. ``"filters"``); raises on an unknown kind."""
    from ganlab.errors import PluginError

    if kind not in REGISTRIES:
        raise PluginError(f"unknown plugin kind {kind!r}; kinds are: {', '.join(REGISTRIES)}")
    return REGISTRIES[kind]
