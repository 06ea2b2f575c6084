"""Contract checks, one function per plugin kind, usable with or without pytest.

Each ``check_<kind>(name, **params)`` builds the plugin through its registry with tiny inputs
and raises :class:`ContractError` (an ``AssertionError``) naming the plugin and the broken rule.
The contracts are written out in ``docs/plugins.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ganlab.registry import REGISTRIES, parse_spec, registry_for
from ganlab.testing._errors import ContractError
from ganlab.testing._synthesis import check_synthesis

SIZE = 32  # image side used by every check: big enough for 4 stride-2 stages, small enough to run
BATCH = 4  # batch size (> 1 so batch-norm layers work in training mode)


def _fail(kind: str, name: str, message: str) -> ContractError:
    return ContractError(f"{registry_for(kind).singular} plugin {name!r}: {message}")


def _device(device: Any) -> Any:
    import torch

    return torch.device(device)


def _images(seed: int, h: int = 40, w: int = 48) -> Any:
    """A random RGB uint8 image, deliberately not square so H/W mix-ups show."""
    import numpy as np

    return np.random.default_rng(seed).integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def _batch(seed: int, device: Any, size: int = SIZE, batch: int = BATCH) -> Any:
    import torch

    g = torch.Generator().manual_seed(seed)
    return (torch.rand(batch, 3, size, size, generator=g) * 2 - 1).to(device)


def _check_finite(kind: str, name: str, what: str, t: Any) -> None:
    import torch

    if not torch.isfinite(t).all():
        raise _fail(kind, name, f"{what} contains NaN or inf")


def _check_range(kind: str, name: str, what: str, t: Any, tol: float = 1e-5) -> None:
    lo, hi = float(t.detach().min()), float(t.detach().max())
    if lo < -1 - tol or hi > 1 + tol:
        raise _fail(kind, name, f"{what} must stay in [-1, 1], got values in [{lo:.4g}, {hi:.4g}]")


def _check_grads(kind: str, name: str, module: Any) -> None:
    params = [p for p in module.parameters() if p.requires_grad]
    if not params:
        raise _fail(kind, name, "the module has no trainable parameters")
    if not any(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in params):
        raise _fail(kind, name, "backward() left every parameter without a gradient")


def _module(kind: str, name: str, obj: Any) -> Any:
    import torch

    if not isinstance(obj, torch.nn.Module):
        raise _fail(kind, name, f"the factory must return a torch.nn.Module, got {type(obj)}")
    return obj


# -- filters --------------------------------------------------------------------------------
def check_filter(name: str, *, seed: int = 0, **params: Any) -> None:
    """A filter returns a callable uint8 (H, W, 3) -> uint8 (H', W', 3), deterministic."""
    import numpy as np

    fn = registry_for("filters").create(name, **params)
    if not callable(fn):
        raise _fail("filters", name, f"the factory must return a callable, got {type(fn)}")
    image = _images(seed)
    original = image.copy()
    out = fn(image)
    if not isinstance(out, np.ndarray):
        raise _fail("filters", name, f"must return a numpy array, got {type(out)}")
    if out.dtype != np.uint8:
        raise _fail("filters", name, f"must return dtype uint8, got {out.dtype}")
    if out.ndim != 3 or out.shape[2] != 3 or min(out.shape[:2]) < 1:
        raise _fail("filters", name, f"must return an (H, W, 3) image, got shape {out.shape}")
    if not np.array_equal(image, original):
        raise _fail("filters", name, "modified its input image in place")
    again = fn(image.copy())
    if again.shape != out.shape or not np.array_equal(again, out):
        raise _fail("filters", name, "is not deterministic: the same image gave two results")


# -- augmentations --------------------------------------------------------------------------
def check_augmentation(name: str, *, seed: int = 0, device: Any = "cpu", **params: Any) -> None:
    """Same shape, device and dtype; values in [-1, 1]; input untouched; seeded determinism."""
    import torch

    aug = registry_for("augmentations").create(name, **params)
    if not callable(aug):
        raise _fail("augmentations", name, f"the factory must return a callable, got {type(aug)}")
    dev = _device(device)
    x = _batch(seed, dev)
    original = x.clone()
    torch.manual_seed(seed)
    out = aug(x)
    if not isinstance(out, torch.Tensor):
        raise _fail("augmentations", name, f"must return a tensor, got {type(out)}")
    if out.shape != x.shape:
        raise _fail("augmentations", name, f"changed the shape {tuple(x.shape)} -> "
                                           f"{tuple(out.shape)}")
    if out.device != x.device or out.dtype != x.dtype:
        raise _fail("augmentations", name, f"changed device/dtype {x.device}/{x.dtype} -> "
                                           f"{out.device}/{out.dtype}")
    if not torch.equal(x, original):
        raise _fail("augmentations", name, "modified its input batch in place")
    _check_finite("augmentations", name, "the output", out)
    _check_range("augmentations", name, "the output", out)
    torch.manual_seed(seed)
    again = aug(x)
    if not torch.equal(out, again):
        raise _fail("augmentations", name, "is not deterministic under torch.manual_seed")


# -- GAN (discriminator) augmentations ---------------------------------------------------------
def check_gan_augmentation(
    name: str, *, seed: int = 0, device: Any = "cpu", **params: Any
) -> None:
    """Same shape, device and dtype; finite; input untouched; seeded; gradients reach the input.

    Unlike a data augmentation, values may leave [-1, 1]; but the output must depend
    differentiably on the batch (it is applied to the generator's images before D).
    """
    import torch

    aug = registry_for("gan_augmentations").create(name, **params)
    if not callable(aug):
        raise _fail("gan_augmentations", name, f"the factory must return a callable, got "
                                               f"{type(aug)}")
    dev = _device(device)
    x = _batch(seed, dev).requires_grad_(True)
    original = x.detach().clone()
    torch.manual_seed(seed)
    out = aug(x)
    if not isinstance(out, torch.Tensor) or out.shape != x.shape:
        raise _fail("gan_augmentations", name, f"must return a tensor of shape {tuple(x.shape)}")
    if out.device != x.device or out.dtype != x.dtype:
        raise _fail("gan_augmentations", name, f"changed device/dtype {x.device}/{x.dtype} -> "
                                               f"{out.device}/{out.dtype}")
    if not torch.equal(x.detach(), original):
        raise _fail("gan_augmentations", name, "modified its input batch in place")
    _check_finite("gan_augmentations", name, "the output", out.detach())
    if out is x:  # an identity at this setting (e.g. ADA at p = 0) is differentiable
        return
    if not out.requires_grad:
        raise _fail("gan_augmentations", name, "is not differentiable: no gradient reaches "
                                               "the batch (the generator would learn nothing)")
    (grad,) = torch.autograd.grad(out.sum(), x)
    if not torch.isfinite(grad).all() or not grad.abs().sum() > 0:
        raise _fail("gan_augmentations", name, "gives a zero or non-finite gradient")
    torch.manual_seed(seed)
    if not torch.equal(out.detach(), aug(x).detach()):
        raise _fail("gan_augmentations", name, "is not deterministic under torch.manual_seed")


# -- generators and discriminators ------------------------------------------------------------
def check_generator(
    name: str,
    *,
    nz: int = 16,
    image_size: int = SIZE,
    channels: int = 3,
    num_classes: int = 0,
    seed: int = 0,
    device: Any = "cpu",
    **params: Any,
) -> None:
    """(B, nz) noise [+ labels] -> (B, channels, S, S) in [-1, 1]; backward; seeded determinism."""
    import torch

    reg = registry_for("generators")
    dev = _device(device)

    def build_and_run() -> tuple[Any, Any]:
        torch.manual_seed(seed)
        g = _module("generators", name, reg.create(
            name, nz=nz, image_size=image_size, channels=channels, num_classes=num_classes,
            **params,
        )).to(dev)
        z = torch.randn(BATCH, nz, generator=torch.Generator().manual_seed(seed)).to(dev)
        labels = (torch.arange(BATCH) % num_classes).to(dev) if num_classes > 0 else None
        return g, g(z, labels=labels)

    g, out = build_and_run()
    want = (BATCH, channels, image_size, image_size)
    if tuple(out.shape) != want:
        raise _fail("generators", name, f"output shape {tuple(out.shape)}, expected {want} "
                                        f"(nz={nz}, num_classes={num_classes})")
    if out.device.type != dev.type or not out.dtype.is_floating_point:
        raise _fail("generators", name, f"output on {out.device} as {out.dtype}; expected a "
                                        f"float tensor on {dev}")
    _check_finite("generators", name, "the output", out)
    _check_range("generators", name, "the output", out)
    out.float().mean().backward()
    _check_grads("generators", name, g)
    _, again = build_and_run()
    if not torch.allclose(out.detach(), again.detach()):
        raise _fail("generators", name, "is not deterministic under torch.manual_seed")


def check_discriminator(
    name: str,
    *,
    image_size: int = SIZE,
    channels: int = 3,
    num_classes: int = 0,
    seed: int = 0,
    device: Any = "cpu",
    **params: Any,
) -> None:
    """(B, channels, S, S) [+ labels] -> finite logits of shape (B,); backward."""
    import torch

    dev = _device(device)
    torch.manual_seed(seed)
    d = _module("discriminators", name, registry_for("discriminators").create(
        name, image_size=image_size, channels=channels, num_classes=num_classes, **params
    )).to(dev)
    x = _batch(seed, dev, size=image_size)[:, :channels]
    labels = (torch.arange(BATCH) % num_classes).to(dev) if num_classes > 0 else None
    out = d(x, labels=labels)
    if tuple(out.shape) != (BATCH,):
        raise _fail("discriminators", name, f"logits shape {tuple(out.shape)}, expected "
                                            f"({BATCH},) (flatten the last layer)")
    _check_finite("discriminators", name, "the logits", out)
    out.float().mean().backward()
    _check_grads("discriminators", name, d)


# -- losses ---------------------------------------------------------------------------------
def _tiny_discriminator() -> Any:
    import torch
    from torch import nn

    class Tiny(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = nn.Sequential(
                nn.Conv2d(3, 8, 4, 2, 1), nn.LeakyReLU(0.2), nn.Flatten(), nn.LazyLinear(1)
            )

        def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
            return self.net(x).flatten()

    return Tiny()


def check_loss(name: str, *, seed: int = 0, **params: Any) -> None:
    """``d_loss`` and ``g_loss`` give finite scalars that backpropagate into D and G."""
    import torch

    torch.manual_seed(seed)
    loss = registry_for("losses").create(name, **params)
    for method in ("d_loss", "g_loss"):
        if not callable(getattr(loss, method, None)):
            raise _fail("losses", name, f"the returned object has no {method}() method")
    disc = _tiny_discriminator()
    real = _batch(seed, "cpu", size=16)
    fake_source = torch.nn.Parameter(_batch(seed + 1, "cpu", size=16).clone())
    fake = torch.tanh(fake_source)
    labels = torch.arange(BATCH) % 2
    d_real, d_fake = disc(real, labels), disc(fake.detach(), labels)
    d = loss.d_loss(d_real=d_real, d_fake=d_fake, real=real, fake=fake.detach(),
                    discriminator=disc, labels=labels)
    if not isinstance(d, torch.Tensor) or d.dim() != 0:
        raise _fail("losses", name, f"d_loss must be a 0-dim tensor, got {d!r}")
    _check_finite("losses", name, "d_loss", d)
    d.backward()
    _check_grads("losses", name, disc)
    disc.zero_grad()
    g = loss.g_loss(d_fake=disc(fake, labels))
    if not isinstance(g, torch.Tensor) or g.dim() != 0:
        raise _fail("losses", name, f"g_loss must be a 0-dim tensor, got {g!r}")
    _check_finite("losses", name, "g_loss", g)
    g.backward()
    if fake_source.grad is None or not bool(fake_source.grad.abs().sum() > 0):
        raise _fail("losses", name, "g_loss does not backpropagate to the generated images")


# -- optimizers -----------------------------------------------------------------------------
def check_optimizer(name: str, *, seed: int = 0, **params: Any) -> None:
    """``factory(params, **hp)`` returns a ``torch.optim.Optimizer`` whose step moves params."""
    import torch

    torch.manual_seed(seed)
    model = torch.nn.Linear(4, 2)
    opt = registry_for("optimizers").create(name, model.parameters(), **params)
    if not isinstance(opt, torch.optim.Optimizer):
        raise _fail("optimizers", name, f"must return a torch.optim.Optimizer, got {type(opt)}")
    before = [p.detach().clone() for p in model.parameters()]
    for _ in range(2):
        opt.zero_grad()
        model(torch.randn(8, 4)).pow(2).mean().backward()
        opt.step()
    if all(torch.equal(b, p) for b, p in zip(before, model.parameters(), strict=True)):
        raise _fail("optimizers", name, "two step() calls left every parameter unchanged")


# -- classifiers ----------------------------------------------------------------------------
def check_classifier(
    name: str,
    *,
    num_classes: int = 2,
    image_size: int = SIZE,
    channels: int = 3,
    seed: int = 0,
    device: Any = "cpu",
    **params: Any,
) -> None:
    """(B, channels, S, S) -> finite logits (B, num_classes); backward; eval is deterministic."""
    import torch

    dev = _device(device)
    torch.manual_seed(seed)
    model = _module("classifiers", name, registry_for("classifiers").create(
        name, num_classes=num_classes, image_size=image_size, channels=channels, **params
    )).to(dev)
    x = _batch(seed, dev, size=image_size)[:, :channels]
    out = model(x)
    if tuple(out.shape) != (BATCH, num_classes):
        raise _fail("classifiers", name, f"logits shape {tuple(out.shape)}, expected "
                                         f"({BATCH}, {num_classes})")
    _check_finite("classifiers", name, "the logits", out)
    out.float().mean().backward()
    _check_grads("classifiers", name, model)
    model.eval()
    with torch.no_grad():
        if not torch.allclose(model(x), model(x)):
            raise _fail("classifiers", name, "is not deterministic in eval mode")


# -- search spaces --------------------------------------------------------------------------
def check_search_space(kind: str, name: str) -> None:
    """Every declared spec parses and names a real parameter of the factory."""
    reg = registry_for(kind)
    space = reg.search_space(name)
    known = {p.name for p in reg.parameters(name)}
    for param, raw in space.items():
        if param not in known and not reg.accepts_any_keyword(name):
            raise _fail(kind, name, f"search_space names {param!r}, which is not a parameter; "
                                    f"parameters: {', '.join(sorted(known)) or 'none'}")
        parse_spec(raw, where=f"{kind}.{name}.search_space.{param}")


# -- samplers and pruners ------------------------------------------------------------------
def _tiny_study(sampler: Any = None, pruner: Any = None) -> Any:
    import optuna

    return optuna.create_study(sampler=sampler, pruner=pruner)


def _tiny_space() -> dict[str, Any]:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    return {"x": FloatDistribution(-1.0, 1.0, step=0.5), "n": IntDistribution(1, 3),
            "c": CategoricalDistribution(["a", "b"])}


def check_sampler(name: str, *, seed: int = 0, n_trials: int = 6, **params: Any) -> None:
    """A seeded ``optuna.samplers.BaseSampler`` that runs a study; same seed, same trials."""
    import optuna

    def run() -> list[dict[str, Any]]:
        sampler = registry_for("samplers").create(name, seed=seed, search_space=_tiny_space(),
                                                  n_objectives=1, **params)
        if not isinstance(sampler, optuna.samplers.BaseSampler):
            raise _fail("samplers", name, f"must return an optuna.samplers.BaseSampler, got "
                                          f"{type(sampler)}")
        study = _tiny_study(sampler=sampler)
        study.optimize(lambda t: t.suggest_float("x", -1.0, 1.0, step=0.5)
                       + t.suggest_int("n", 1, 3)
                       + (t.suggest_categorical("c", ["a", "b"]) == "a"), n_trials=n_trials)
        return [t.params for t in study.trials]

    first = run()
    if len(first) != n_trials or any(set(p) != set(_tiny_space()) for p in first):
        raise _fail("samplers", name, f"a {n_trials}-trial study did not sample every parameter")
    if run() != first:
        raise _fail("samplers", name, f"is not deterministic: seed {seed} gave two trial lists")


def check_pruner(name: str, **params: Any) -> None:
    """An ``optuna.pruners.BasePruner`` whose ``prune`` answers a bool for a reporting trial."""
    import optuna

    pruner = registry_for("pruners").create(name, **params)
    if not isinstance(pruner, optuna.pruners.BasePruner):
        raise _fail("pruners", name, f"must return an optuna.pruners.BasePruner, got "
                                     f"{type(pruner)}")
    study = _tiny_study(pruner=pruner)
    answers = []
    for value in (1.0, 2.0, 3.0, 100.0):
        trial = study.ask()
        for step in range(5):
            trial.report(value + step, step)
            answers.append(trial.should_prune())
        study.tell(trial, value)
    if not all(isinstance(a, bool) for a in answers):
        raise _fail("pruners", name, "prune() must return a bool")


CHECKS: dict[str, Callable[..., None]] = {
    "filters": check_filter,
    "augmentations": check_augmentation,
    "generators": check_generator,
    "discriminators": check_discriminator,
    "losses": check_loss,
    "optimizers": check_optimizer,
    "classifiers": check_classifier,
    "samplers": check_sampler,
    "pruners": check_pruner,
    "gan_augmentations": check_gan_augmentation,
    "synthesis": check_synthesis,
}


def check_plugin(kind: str, name: str, **params: Any) -> None:
    """Run the contract check of ``kind`` on plugin ``name`` and its search-space check."""
    CHECKS[registry_for(kind).kind](name, **params)
    check_search_space(kind, name)


def plugin_cases() -> Iterator[tuple[str, str]]:
    """Every registered ``(kind, name)``, for ``pytest.mark.parametrize``."""
    for kind, reg in REGISTRIES.items():
        for name in reg.names():
            yield kind, name
