"""One :class:`Registry` per plugin kind, built from ``ganlab.contracts.KINDS``.

The kinds, their structural keywords and their contract text live in ``ganlab.contracts``
only; this module turns each into a registry (see ``docs/plugins.md``).
"""

from __future__ import annotations

from ganlab.contracts import KINDS
from ganlab.errors import PluginError
from ganlab.registry._registry import Registry

REGISTRIES: dict[str, Registry] = {
    k.name: Registry(k.name, structural=k.structural, positional=len(k.positional),
                     contract=k.contract)
    for k in KINDS
}

FILTERS = REGISTRIES["filters"]
AUGMENTATIONS = REGISTRIES["augmentations"]
GENERATORS = REGISTRIES["generators"]
DISCRIMINATORS = REGISTRIES["discriminators"]
LOSSES = REGISTRIES["losses"]
OPTIMIZERS = REGISTRIES["optimizers"]
CLASSIFIERS = REGISTRIES["classifiers"]
SAMPLERS = REGISTRIES["samplers"]
PRUNERS = REGISTRIES["pruners"]
GAN_AUGMENTATIONS = REGISTRIES["gan_augmentations"]
SYNTHESIS = REGISTRIES["synthesis"]


def registry_for(kind: str) -> Registry:
    """The registry of ``kind`` (plural, e.g. ``"filters"``); raises on an unknown kind."""
    if kind not in REGISTRIES:
        raise PluginError(f"unknown plugin kind {kind!r}; kinds are: {', '.join(REGISTRIES)}")
    return REGISTRIES[kind]
