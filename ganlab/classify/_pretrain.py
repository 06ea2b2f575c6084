"""GAN pretraining: classifier plugins with the ``UsesGanCheckpoint`` capability.

Such a classifier's factory names the keyword that takes the run's GAN checkpoint
(``ganlab.contracts.UsesGanCheckpoint``); the pipeline trains a GAN for it and fills the
keyword in when the study file leaves it unset. No plugin name appears here: the built-in
``discriminator`` classifier and a third party's classifier are served alike.
"""

from __future__ import annotations

from pathlib import Path

from ganlab.config import PluginRef
from ganlab.contracts import UsesGanCheckpoint
from ganlab.registry import CLASSIFIERS


def gan_checkpoint_param(model: PluginRef) -> str | None:
    """The keyword of classifier ``model`` that waits for the run's GAN checkpoint, or ``None``.

    ``None`` when the plugin lacks the capability or the study file already sets the keyword.
    """
    factory = CLASSIFIERS.load(model.name)
    if not isinstance(factory, UsesGanCheckpoint):
        return None
    param = factory.gan_checkpoint_param
    return param if model.params.get(param) is None else None


def with_gan_checkpoint(model: PluginRef, checkpoint: str | Path | None) -> PluginRef:
    """``model`` with the run's GAN ``checkpoint`` filled in where the plugin wants it."""
    param = gan_checkpoint_param(model) if checkpoint is not None else None
    if param is None:
        return model
    return PluginRef(model.name, {**model.params, param: str(checkpoint)})
