"""Plugin contracts: the single source of truth for plugin kinds and optional capabilities.

Plugins never need to import this module: a plain function returning the right kind of object
is a valid plugin. These types document the contracts and let type checkers verify plugins.

- Every plugin KIND is one :class:`Kind` in :data:`KINDS`: its entry-point group, the
  structural keywords ganlab passes, and the Protocol of what its factory returns. The
  registries (``ganlab.registry``), the kinds table of ``docs/plugins.md`` and the contract
  suites (``ganlab.testing``) are built from or checked against :data:`KINDS`.
- Every OPTIONAL CAPABILITY (a hook the core uses when a plugin has it) is a
  ``@runtime_checkable`` Protocol in this module whose docstring starts with
  ``"A <kind> factory ..."`` or ``"A <kind> ..."`` (the object the factory returns); core code
  tests it with ``isinstance``. :func:`capabilities` finds them all; the capabilities table of
  ``docs/plugins.md`` and the capability checks of ``ganlab.testing`` follow it.

Image conventions: a *filter image* is a numpy ``uint8`` array (H, W, 3) in RGB order; a
*batch* is a float tensor (B, C, H, W) in [-1, 1] on the training device.
"""

from __future__ import annotations

import inspect
import re
import sys
from dataclasses import dataclass
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


@runtime_checkable
class Sampler(Protocol):
    """An Optuna sampler (an ``optuna.samplers.BaseSampler``), seeded by ganlab.

    Built by ``factory(seed=, search_space=, n_objectives=, **params)``: ``seed`` is the sampler
    seed of this worker process (each worker gets its own), ``search_space`` the study's
    expanded search space as ``{name: optuna.distributions.BaseDistribution}``, and
    ``n_objectives`` the number of objectives. The same seed gives the same suggestions.
    """

    def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, Any]: ...

    def sample_relative(self, study: Any, trial: Any, search_space: Any) -> dict[str, Any]: ...

    def sample_independent(self, study: Any, trial: Any, param_name: str,
                           param_distribution: Any) -> Any: ...


@runtime_checkable
class Pruner(Protocol):
    """An Optuna pruner (an ``optuna.pruners.BasePruner``): ``prune(study, trial) -> bool``."""

    def prune(self, study: Any, trial: Any) -> bool: ...


@runtime_checkable
class GanAugmentation(Protocol):
    """Batch -> batch applied to real AND fake images before the discriminator (``gan.augment``).

    Must be differentiable (gradients reach the generator through the fake batch), draw its
    parameters per sample from the global torch RNG or the optional ``generator`` keyword, and
    keep shape, device and dtype. Values may leave [-1, 1] (e.g. a brightness shift).
    """

    def __call__(self, batch: torch.Tensor) -> torch.Tensor: ...


def declare_space(**space: dict[str, Any]) -> Any:
    """Decorator that sets ``factory.search_space`` (plain dicts work just as well)."""

    def wrap(factory: Any) -> Any:
        factory.search_space = dict(space)
        return factory

    return wrap


# --- plugin kinds ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Kind:
    """One plugin kind: a registry, an entry-point group ``ganlab.<name>`` and a contract."""

    name: str  # plural, e.g. "filters": the registry's kind and the entry-point group suffix
    singular: str  # "filter": used in messages and in capability docstrings
    protocol: type  # what the factory returns (for optimizers: the factory itself)
    returns: str  # what the factory returns, in Markdown (docs table, registry errors)
    structural: tuple[str, ...] = ()  # keywords ganlab passes to every factory of the kind
    positional: tuple[str, ...] = ()  # leading positional arguments ganlab passes

    @property
    def group(self) -> str:
        """The entry-point group: ``ganlab.<name>``."""
        return f"ganlab.{self.name}"

    @property
    def contract(self) -> str:
        """One line saying what a factory must return (registry errors show it)."""
        returns = self.returns.replace("`", "")
        article = "An" if self.singular[0] in "aeiou" else "A"
        return (f"{article} {self.singular} factory returns {returns} "
                f"(see ganlab.contracts.{self.protocol.__name__}).")


KINDS: tuple[Kind, ...] = (
    Kind("filters", "filter", Filter, "a callable `image -> image`"),
    Kind("augmentations", "augmentation", Augmentation, "a callable `batch -> batch`"),
    Kind("generators", "generator", Generator,
         "a `torch.nn.Module`, `forward(z, labels=None)`",
         structural=("nz", "image_size", "channels", "num_classes")),
    Kind("discriminators", "discriminator", Discriminator,
         "a `torch.nn.Module`, `forward(x, labels=None)`",
         structural=("image_size", "channels", "num_classes")),
    Kind("losses", "loss", GanLoss, "an object with `d_loss(...)` and `g_loss(...)`"),
    Kind("optimizers", "optimizer", OptimizerFactory, "a `torch.optim.Optimizer`",
         positional=("params",)),
    Kind("classifiers", "classifier", Classifier, "a `torch.nn.Module`, `forward(x)`",
         structural=("num_classes", "image_size", "channels")),
    Kind("samplers", "sampler", Sampler, "an `optuna.samplers.BaseSampler`",
         structural=("seed", "search_space", "n_objectives")),
    Kind("pruners", "pruner", Pruner, "an `optuna.pruners.BasePruner`"),
    Kind("gan_augmentations", "gan_augmentation", GanAugmentation,
         "a differentiable callable `batch -> batch` applied to real and fake before D"),
)
"""Every plugin kind, in the order ganlab lists them."""


def kind(name: str) -> Kind:
    """The :class:`Kind` called ``name`` (plural); ``KeyError`` if there is none."""
    for k in KINDS:
        if k.name == name:
            return k
    raise KeyError(name)


# --- optional capabilities: the machinery ------------------------------------------------------
@dataclass(frozen=True)
class Capability:
    """An optional capability Protocol, as :func:`capabilities` reads it from this module."""

    protocol: type
    kind: str  # plural kind it applies to, or "*" for a capability of every kind's factory
    on_factory: bool  # True: the factory has it; False: the object the factory returns
    members: tuple[str, ...]  # attribute and method names the Protocol requires
    summary: str  # first docstring line

    @property
    def name(self) -> str:
        """The Protocol's class name."""
        return self.protocol.__name__


_CAPABILITY_LINE = re.compile(r"^An? (?P<singular>\w+)(?P<factory> factory)?\b")


def _members(proto: type) -> tuple[str, ...]:
    names = set(getattr(proto, "__annotations__", {}))
    names |= {n for n, v in vars(proto).items() if inspect.isfunction(v)}
    return tuple(sorted(n for n in names if not n.startswith("_")))


def capabilities() -> list[Capability]:
    """Every optional capability declared in this module, in source order.

    A capability is a ``@runtime_checkable`` Protocol of this module that is no kind's
    protocol. Its docstring's first line must start with ``"A <kind> factory"`` (the factory
    has the capability) or ``"A <kind>"`` (the object the factory returns has it), where
    ``<kind>`` is a kind's singular name or ``plugin`` (every kind); ``ValueError`` otherwise.
    """
    module = sys.modules[__name__]
    kind_protocols = {k.protocol for k in KINDS}
    by_singular = {k.singular: k.name for k in KINDS} | {"plugin": "*"}
    found: list[Capability] = []
    for obj in vars(module).values():
        if not (isinstance(obj, type) and obj.__module__ == __name__
                and getattr(obj, "_is_runtime_protocol", False)) or obj in kind_protocols:
            continue
        summary = (inspect.getdoc(obj) or "").splitlines()[0] if obj.__doc__ else ""
        m = _CAPABILITY_LINE.match(summary)
        if not m or m["singular"] not in by_singular:
            raise ValueError(
                f"capability {obj.__name__}: its docstring must start with 'A <kind> factory' or "
                f"'A <kind>' (kinds: {', '.join(by_singular)}), got {summary!r}"
            )
        found.append(Capability(obj, by_singular[m["singular"]], bool(m["factory"]),
                                _members(obj), summary))
    return found  # module attributes keep their definition order


# --- optional capabilities -------------------------------------------------------------------
# Keep each one plain: a @runtime_checkable Protocol whose docstring starts with "A <kind> ...",
# states the contract and names the core code that uses it. Core code tests it with isinstance.

@runtime_checkable
class DeclaresSearchSpace(Protocol):
    """A plugin factory that declares a default search space for its parameters.

    ``search_space`` maps a parameter name of the factory to a spec in the form of a study
    file's ``[search]`` table (``{"type": "float", "low": 0.0, "high": 1.0}``). A study
    searches it with ``"<path>.<plugin>" = "declared"``. Used by
    ``ganlab.registry.Registry.search_space``; checked by ``ganlab.testing.check_search_space``.
    """

    search_space: dict[str, dict[str, Any]]


@runtime_checkable
class DeclaresImageSizes(Protocol):
    """A plugin factory that declares the image sizes it can build a network for.

    ``unsupported_image_size(image_size)`` returns ``""`` when the factory builds a network for
    square images of side ``image_size``, else the rule it needs (``"the resnet architecture
    takes 32, 64 or 128"``). ``ganlab config check`` and ``study run`` check the size ganlab
    would pass (``data.image_size``; ``classifier.image_size`` for the classifier) against it
    before any trial starts, so a size the network cannot take is one line naming the key,
    never a run of failed trials. Used by ``ganlab.config`` (plugin validation); checked by
    ``ganlab.testing.check_capabilities``.
    """

    def unsupported_image_size(self, image_size: int) -> str: ...


@runtime_checkable
class ReportsDiscriminatorCollapse(Protocol):
    """A loss that says whether a collapsed discriminator is a failure signal for it.

    ``watch_d_collapse``: when True (the default for a loss without this attribute) the GAN
    trainer's health monitor stops a run whose discriminator loss stays near 0 while the
    generator loss explodes; a loss without a floor (WGAN-GP's critic) sets False. Used by
    ``ganlab.gan`` (the trainer's ``HealthMonitor``).
    """

    watch_d_collapse: bool


@runtime_checkable
class EpochHook(Protocol):
    """A classifier that wants to be told when each training epoch starts.

    ``on_epoch_start(epoch)`` is called with the 0-based epoch before its first batch (e.g. to
    freeze a pretrained trunk for the first epochs). Used by ``ganlab.classify`` training.
    """

    def on_epoch_start(self, epoch: int) -> None: ...


@runtime_checkable
class RebuildsParams(Protocol):
    """A classifier whose checkpoint must record other parameters than it was built with.

    ``rebuild_params``: factory parameters that override the study's ones in the classifier
    checkpoint's plugin reference, so ``load_classifier`` rebuilds the same architecture
    without what it was built from (e.g. ``{"checkpoint": None}`` once GAN weights are
    copied: the classifier checkpoint holds the weights). Used by ``ganlab.classify``.
    """

    rebuild_params: dict[str, Any]


@runtime_checkable
class UsesGanCheckpoint(Protocol):
    """A classifier factory that wants the trial's GAN checkpoint (GAN pretraining).

    ``gan_checkpoint_param`` names a keyword parameter of the factory (default ``None``) that
    receives the path (str) of the GAN checkpoint of the same run when the study file leaves
    it unset. A pipeline whose classifier has this capability trains a GAN even in ``real``
    mode. The checkpoint is ``torch.load(path, weights_only=True)``-able; its keys are
    documented in docs/architecture.md (``generator``, ``discriminator``, ``meta``, ...).
    Without a checkpoint (``None``) the factory must still build a model (no pretraining).
    Used by ``ganlab.study`` (the pipeline) and ``ganlab.classify`` (``train_classifier``).
    """

    gan_checkpoint_param: str


# --- GAN training capabilities (discriminator augmentation) -----------------------------------
@runtime_checkable
class AdaptiveGanAugmentation(Protocol):
    """A gan_augmentation that tunes itself from the discriminator's logits (e.g. ADA's p).

    The GAN trainer (``ganlab.gan``) calls ``observe(d_real)`` with the detached real logits
    (B,) after every discriminator step, logs ``stats()`` (names -> floats) in each epoch's
    history, and saves ``state_dict()`` (plain numbers) in checkpoints and restores it with
    ``load_state_dict`` on resume.
    """

    def observe(self, d_real: torch.Tensor) -> None: ...

    def stats(self) -> dict[str, float]: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


# --- GAN training capabilities (auxiliary class head) -----------------------------------------
@runtime_checkable
class DiscriminatorFeatures(Protocol):
    """A discriminator that also returns the pooled features its logits are computed from.

    ``forward_with_features(x, labels=None)`` returns ``(logits (B,), features (B,
    feature_width))`` in one pass, the logits equal to ``forward``'s. ``gan.aux_classifier``
    (an AC-GAN class head, Odena et al. 2017) needs it: the GAN trainer (``ganlab.gan``) trains
    a linear head on these features with cross-entropy on the real labels, and adds the same
    loss on the fakes' conditioning labels to the generator's loss.
    """

    feature_width: int

    def forward_with_features(
        self, x: torch.Tensor, labels: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]: ...
