"""Contract test suites that any plugin's tests reuse (see ``docs/plugins.md``).

Two styles: subclass a ``*Contract`` class and set ``plugin`` (pytest collects it), or call a
``check_<kind>(name, **params)`` function, e.g. inside ``pytest.mark.parametrize``. The optional
capabilities of ``ganlab.contracts`` are checked by ``check_capabilities(kind, name)`` (the
suites run it) and GAN pretraining by ``check_gan_pretraining(name, tiny_gan_checkpoint(p))``.
"""

from __future__ import annotations

from ganlab.testing._capabilities import (
    CAPABILITY_CHECKS,
    check_capabilities,
    check_gan_pretraining,
)
from ganlab.testing._checks import (
    BATCH,
    CHECKS,
    SIZE,
    check_augmentation,
    check_classifier,
    check_discriminator,
    check_filter,
    check_gan_augmentation,
    check_generator,
    check_loss,
    check_optimizer,
    check_plugin,
    check_pruner,
    check_sampler,
    check_search_space,
    plugin_cases,
)
from ganlab.testing._errors import ContractError
from ganlab.testing._fake import FakeDistribution, extra_entry_points, fake_entry_point
from ganlab.testing._suites import (
    AugmentationContract,
    ClassifierContract,
    DiscriminatorContract,
    FilterContract,
    GanAugmentationContract,
    GeneratorContract,
    LossContract,
    OptimizerContract,
    PluginContract,
    PrunerContract,
    SamplerContract,
    SynthesisContract,
)
from ganlab.testing._synthesis import check_synthesis
from ganlab.testing._tiny import tiny_gan_checkpoint

__all__ = [
    "BATCH",
    "CAPABILITY_CHECKS",
    "CHECKS",
    "SIZE",
    "AugmentationContract",
    "ClassifierContract",
    "ContractError",
    "DiscriminatorContract",
    "FakeDistribution",
    "FilterContract",
    "GanAugmentationContract",
    "GeneratorContract",
    "LossContract",
    "OptimizerContract",
    "PluginContract",
    "PrunerContract",
    "SamplerContract",
    "SynthesisContract",
    "check_augmentation",
    "check_capabilities",
    "check_classifier",
    "check_discriminator",
    "check_filter",
    "check_gan_augmentation",
    "check_gan_pretraining",
    "check_generator",
    "check_loss",
    "check_optimizer",
    "check_plugin",
    "check_pruner",
    "check_sampler",
    "check_search_space",
    "check_synthesis",
    "extra_entry_points",
    "fake_entry_point",
    "plugin_cases",
    "tiny_gan_checkpoint",
]
