"""Contract test suites as pytest base classes: subclass one and set ``plugin``.

Example, in a third-party package's tests::

    from ganlab.testing import FilterContract

    class TestSharpen(FilterContract):
        plugin = "sharpen"
        params = {"amount": 1.5}

The base classes' names do not start with ``Test``, so pytest only collects the subclasses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from ganlab.contracts import UsesGanCheckpoint
from ganlab.registry import registry_for
from ganlab.testing._capabilities import (
    check_capabilities,
    check_gan_pretraining,
)
from ganlab.testing._checks import (
    check_augmentation,
    check_classifier,
    check_discriminator,
    check_filter,
    check_gan_augmentation,
    check_generator,
    check_loss,
    check_optimizer,
    check_pruner,
    check_sampler,
    check_search_space,
)
from ganlab.testing._synthesis import check_synthesis
from ganlab.testing._tiny import tiny_gan_checkpoint


class PluginContract:
    """Shared part: the plugin's name, its parameters, its search space and capabilities."""

    kind: ClassVar[str] = ""
    plugin: ClassVar[str] = ""  # the registered name to test
    params: ClassVar[dict[str, Any]] = {}  # plugin parameters passed to the factory

    def test_search_space(self) -> None:
        check_search_space(self.kind, self.plugin)

    def test_capabilities(self) -> None:
        """Every optional capability (``ganlab.contracts``) the plugin has keeps its contract."""
        check_capabilities(self.kind, self.plugin, **self.params)


class FilterContract(PluginContract):
    """uint8 (H, W, 3) in, uint8 (H', W', 3) out, input untouched, deterministic."""

    kind = "filters"

    def test_contract(self) -> None:
        check_filter(self.plugin, **self.params)


class AugmentationContract(PluginContract):
    """Same shape/device/dtype, values in [-1, 1], input untouched, seeded determinism."""

    kind = "augmentations"
    device: ClassVar[str] = "cpu"

    def test_contract(self) -> None:
        check_augmentation(self.plugin, device=self.device, **self.params)


class GeneratorContract(PluginContract):
    """(B, C, S, S) in [-1, 1], unconditional and conditional, backward, seeded determinism."""

    kind = "generators"
    device: ClassVar[str] = "cpu"

    def test_unconditional(self) -> None:
        check_generator(self.plugin, num_classes=0, device=self.device, **self.params)

    def test_conditional(self) -> None:
        check_generator(self.plugin, num_classes=2, device=self.device, **self.params)


class DiscriminatorContract(PluginContract):
    """Logits (B,), unconditional and conditional, backward."""

    kind = "discriminators"
    device: ClassVar[str] = "cpu"

    def test_unconditional(self) -> None:
        check_discriminator(self.plugin, num_classes=0, device=self.device, **self.params)

    def test_conditional(self) -> None:
        check_discriminator(self.plugin, num_classes=2, device=self.device, **self.params)


class LossContract(PluginContract):
    """Finite scalar ``d_loss``/``g_loss`` that backpropagate."""

    kind = "losses"

    def test_contract(self) -> None:
        check_loss(self.plugin, **self.params)


class OptimizerContract(PluginContract):
    """A ``torch.optim.Optimizer`` whose steps move the parameters."""

    kind = "optimizers"

    def test_contract(self) -> None:
        check_optimizer(self.plugin, **self.params)


class ClassifierContract(PluginContract):
    """Logits (B, num_classes), backward, deterministic in eval mode."""

    kind = "classifiers"
    device: ClassVar[str] = "cpu"

    def test_contract(self) -> None:
        check_classifier(self.plugin, device=self.device, **self.params)

    def test_gan_pretraining(self, tmp_path: Path) -> None:
        """With ``UsesGanCheckpoint``: a GAN checkpoint builds the model and changes it."""
        if isinstance(registry_for(self.kind).load(self.plugin), UsesGanCheckpoint):
            check_gan_pretraining(self.plugin, tiny_gan_checkpoint(tmp_path / "gan.pt"),
                                  **self.params)


class SamplerContract(PluginContract):
    """A seeded Optuna sampler: runs a study, the same seed gives the same trials."""

    kind = "samplers"

    def test_contract(self) -> None:
        check_sampler(self.plugin, **self.params)


class PrunerContract(PluginContract):
    """An Optuna pruner whose ``prune`` answers a bool."""

    kind = "pruners"

    def test_contract(self) -> None:
        check_pruner(self.plugin, **self.params)


class GanAugmentationContract(PluginContract):
    """Same shape/device/dtype, finite, input untouched, seeded, differentiable (gan.augment)."""

    kind = "gan_augmentations"
    device: ClassVar[str] = "cpu"

    def test_contract(self) -> None:
        check_gan_augmentation(self.plugin, device=self.device, **self.params)


class SynthesisContract(PluginContract):
    """Valid, seeded training stages from a tiny GAN and real set; ``needs_gan`` a bool."""

    kind = "synthesis"

    def test_contract(self) -> None:
        check_synthesis(self.plugin, **self.params)
