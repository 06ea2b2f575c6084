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
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

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


@runtime_checkable
class SynthesisStrategy(Protocol):
    """How generated images enter classifier training (``classifier.synthesis``).

    ``needs_gan``: True when ``stages`` draws images from the run's class-conditional GAN (a
    study without one refuses the strategy at load time). ``stages(context)`` gets a
    :class:`SynthesisContext` and returns the training stages in order, each a dict:
    ``images`` uint8 (N, C, S, S) and ``labels`` int64 (N,) on the CPU; ``n_synthetic`` (int,
    default 0): how many of the LAST rows are generated; ``epochs`` (int >= 1 or None): a
    stage with a number trains that many epochs with the recipe (fresh optimizer and schedule,
    no early stopping) and hands its weights to the next stage; the last stage leaves it
    ``None`` and trains with the full recipe and early stopping; ``refresh`` (optional):
    ``epoch -> (images, labels)``, the same size, the training set of each epoch after the
    first, a pure function of the epoch (resume stays exact); ``info`` (optional): plain
    numbers recorded in metrics.json (e.g. how many images a filter kept); ``samples``
    (optional): name -> a few uint8 images, written as ``synthesis-<name>.png`` grids in the
    run folder (e.g. what a filter kept and dropped). The same context
    and seed must give the same stages. Used by ``ganlab.classify`` (``train_classifier``).
    """

    needs_gan: bool

    def stages(self, context: SynthesisContext) -> list[dict[str, Any]]: ...


class SynthesisContext(Protocol):
    """What ganlab hands a :class:`SynthesisStrategy` (plugins never build one).

    ``images`` / ``labels``: the real training images (uint8, CPU) and labels (1 = positive);
    ``class_names``; ``seed``: the run's seed. ``generate(n, labels=None, seed=None)``: ``n``
    uint8 images from the run's GAN and their labels (class-balanced, alternating 0, 1, ...,
    when ``labels`` is None; ``seed`` None: the run's seed). ``epoch_seed(epoch)``: the seed
    of an epoch's fresh images. ``class_probabilities(images, labels, source)``: (N, 2) float
    class probabilities (``labels``: the conditioning labels) from ``"classifier"`` (a
    classifier trained with the run's recipe on the real training images only, cached in the
    run folder) or ``"gan"`` (the GAN's AC class
    head, ``gan.aux_classifier``). ``features(images)``: (N, D) penultimate-layer features of
    that real-data classifier.
    """

    images: torch.Tensor
    labels: torch.Tensor
    class_names: tuple[str, str]
    seed: int

    def generate(self, n: int, labels: torch.Tensor | None = None,
                 seed: int | None = None) -> tuple[torch.Tensor, torch.Tensor]: ...

    def epoch_seed(self, epoch: int) -> int: ...

    def class_probabilities(self, images: torch.Tensor, labels: torch.Tensor,
                            source: str) -> torch.Tensor: ...

    def features(self, images: torch.Tensor) -> torch.Tensor: ...


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
    Kind("synthesis", "synthesis", SynthesisStrategy,
         "an object with `needs_gan` and `stages(context)`: the classifier's training stages"),
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


_DECLARED: dict[type, tuple[str, bool]] = {}  # capability Protocol -> (kind, on_factory)


def capability(*, kind: str, on: Literal["factory", "object"]) -> Callable[[type], type]:
    """Declare the Protocol below it as an optional capability of the plugins of ``kind``.

    ``kind`` is a kind's plural name (``"classifiers"``) or ``"*"`` (every kind); ``on`` says
    whether the factory has the capability or the object the factory returns.
    """
    if on not in ("factory", "object"):
        raise ValueError(f"capability(on=...) must be 'factory' or 'object', got {on!r}")

    def declare(protocol: type) -> type:
        _DECLARED[protocol] = (kind, on == "factory")
        return protocol

    return declare


def _members(proto: type) -> tuple[str, ...]:
    names = set(getattr(proto, "__annotations__", {}))
    names |= {n for n, v in vars(proto).items() if inspect.isfunction(v)}
    return tuple(sorted(n for n in names if not n.startswith("_")))


def capabilities() -> list[Capability]:
    """Every optional capability declared in this module, in source order.

    A capability is a ``@runtime_checkable`` Protocol of this module that is no kind's
    protocol, declared with :func:`capability` (its kind and whether the factory has it);
    ``ValueError`` for one that is not declared or names no kind.
    """
    module = sys.modules[__name__]
    kind_protocols = {k.protocol for k in KINDS}
    kinds = {k.name for k in KINDS} | {"*"}
    found: list[Capability] = []
    for obj in vars(module).values():
        if not (isinstance(obj, type) and obj.__module__ == __name__
                and getattr(obj, "_is_runtime_protocol", False)) or obj in kind_protocols:
            continue
        if obj not in _DECLARED or _DECLARED[obj][0] not in kinds:
            raise ValueError(
                f"capability {obj.__name__}: declare its kind with @capability(kind=..., "
                f"on='factory' | 'object') (kinds: {', '.join(sorted(kinds))})"
            )
        kind_name, on_factory = _DECLARED[obj]
        summary = (inspect.getdoc(obj) or "").splitlines()[0] if obj.__doc__ else ""
        found.append(Capability(obj, kind_name, on_factory, _members(obj), summary))
    return found  # module attributes keep their definition order


# --- optional capabilities -------------------------------------------------------------------
# Keep each one plain: a @runtime_checkable Protocol declared with @capability(kind=..., on=...)
# whose docstring states the contract and names the core code that uses it. Core code tests it
# with isinstance.

@capability(kind="*", on="factory")
@runtime_checkable
class DeclaresSearchSpace(Protocol):
    """A plugin factory that declares a default search space for its parameters.

    ``search_space`` maps a parameter name of the factory to a spec in the form of a study
    file's ``[search]`` table (``{"type": "float", "low": 0.0, "high": 1.0}``). A study
    searches it with ``"<path>.<plugin>" = "declared"``. Used by
    ``ganlab.registry.Registry.search_space``; checked by ``ganlab.testing.check_search_space``.
    """

    search_space: dict[str, dict[str, Any]]


@capability(kind="*", on="factory")
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


@capability(kind="losses", on="object")
@runtime_checkable
class ReportsDiscriminatorCollapse(Protocol):
    """A loss that says whether a collapsed discriminator is a failure signal for it.

    ``watch_d_collapse``: when True (the default for a loss without this attribute) the GAN
    trainer's health monitor stops a run whose discriminator loss stays near 0 while the
    generator loss explodes; a loss without a floor (WGAN-GP's critic) sets False. Used by
    ``ganlab.gan`` (the trainer's ``HealthMonitor``).
    """

    watch_d_collapse: bool


@capability(kind="classifiers", on="object")
@runtime_checkable
class EpochHook(Protocol):
    """A classifier that wants to be told when each training epoch starts.

    ``on_epoch_start(epoch)`` is called with the 0-based epoch before its first batch (e.g. to
    freeze a pretrained trunk for the first epochs). Used by ``ganlab.classify`` training.
    """

    def on_epoch_start(self, epoch: int) -> None: ...


@capability(kind="classifiers", on="object")
@runtime_checkable
class RebuildsParams(Protocol):
    """A classifier whose checkpoint must record other parameters than it was built with.

    ``rebuild_params``: factory parameters that override the study's ones in the classifier
    checkpoint's plugin reference, so ``load_classifier`` rebuilds the same architecture
    without what it was built from (e.g. ``{"checkpoint": None}`` once GAN weights are
    copied: the classifier checkpoint holds the weights). Used by ``ganlab.classify``.
    """

    rebuild_params: dict[str, Any]


@capability(kind="classifiers", on="factory")
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
@capability(kind="gan_augmentations", on="object")
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
@capability(kind="discriminators", on="object")
@runtime_checkable
class DiscriminatorFeatures(Protocol):
    """A discriminator that also returns the pooled features its logits are computed from.

    ``forward_with_features(x, labels=None)`` returns ``(logits (B,), features (B,
    feature_width))`` in one pass, the logits equal to ``forward``'s. ``gan.aux_classifier``
    (an AC-GAN class head, Odena et al. 2017) needs it: the GAN trainer (``ganlab.gan``) trains
    a linear head on these features with cross-entropy on the real labels, and adds the same
    loss on the fakes' conditioning labels to the generator's loss. The ``discriminator``
    classifier plugin (GAN pretraining) puts its head on the features of the discriminator built
    unconditional (``labels=None``).
    """

    feature_width: int

    def forward_with_features(
        self, x: torch.Tensor, labels: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]: ...
