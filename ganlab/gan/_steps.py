"""One discriminator step and one generator step, as pure functions.

Neither function owns state: modules, optimizers, batches and the autocast dtype are passed in,
and the loss values come back as detached tensors (no host sync, so GPU steps stay queued).
The trainer generates ``fake`` once per step and reuses it for the generator step, like the
pytorch/examples DCGAN loop: the discriminator sees ``fake.detach()``, the generator step
backpropagates through the same graph.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import torch
from torch import nn

from ganlab.gan._aux import AuxClassifier

Augment = Callable[[torch.Tensor], torch.Tensor]


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    """``torch.autocast`` for ``dtype`` on ``device``, or a no-op when ``dtype`` is None."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def d_step(
    *,
    discriminator: nn.Module,
    loss,
    optimizer: torch.optim.Optimizer,
    real: torch.Tensor,
    fake: torch.Tensor,
    labels: torch.Tensor | None,
    amp_dtype: torch.dtype | None = None,
    augment: Augment | None = None,
    r1_weight: float = 0.0,
    penalty_discriminator: nn.Module | None = None,
    aux: AuxClassifier | None = None,
) -> dict[str, torch.Tensor]:
    """Update the discriminator once on a real and a (detached) fake batch.

    Args:
        augment: Differentiable augmentation applied to both batches before D (DiffAugment).
        r1_weight: When > 0, adds ``r1_weight / 2 * E ||grad_x D(x)||^2`` on the (augmented)
            real batch (R1, Mescheder et al. 2018); the trainer passes ``gamma * every`` on
            lazy steps and 0 otherwise.
        penalty_discriminator: The module for gradient penalties (R1, and the loss's own,
            e.g. WGAN-GP): the uncompiled discriminator when ``discriminator`` is compiled,
            because aot_autograd has no double backward.
        aux: The class head (``gan.aux_classifier``), its parameters in ``optimizer``.

    Returns:
        ``d_loss`` and ``d_real`` / ``d_fake``: the mean of sigmoid(logit), i.e. D(x) and
        D(G(z)) as DCGAN papers plot them; ``d_real_logits`` (B,); ``r1`` and ``aux_d`` (the
        head's cross-entropy) when computed; all detached.
    """
    raw = penalty_discriminator if penalty_discriminator is not None else discriminator
    fake = fake.detach()
    if augment is not None:
        real, fake = augment(real), augment(fake)
    optimizer.zero_grad(set_to_none=True)
    out: dict[str, torch.Tensor] = {}
    with autocast(real.device, amp_dtype):
        d_real, aux_ce = _score(discriminator, aux, real, labels)
        d_fake = discriminator(fake, labels)
        value = loss.d_loss(
            d_real=d_real, d_fake=d_fake, real=real, fake=fake,
            discriminator=raw, labels=labels,
        )
        if aux is not None:
            value = value + aux.weight * aux_ce
            out["aux_d"] = aux_ce.detach()
    if r1_weight > 0:
        r1 = r1_penalty(raw, real, labels)
        value = value + (0.5 * r1_weight) * r1
        out["r1"] = r1.detach()
    value.backward()
    optimizer.step()
    out.update(
        d_loss=value.detach(),
        d_real=torch.sigmoid(d_real.detach().float()).mean(),
        d_fake=torch.sigmoid(d_fake.detach().float()).mean(),
        d_real_logits=d_real.detach(),
    )
    return out


def _score(
    discriminator: nn.Module, aux: AuxClassifier | None, x: torch.Tensor,
    labels: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """D's logits of ``x`` and, with the class head, its cross-entropy on ``labels``."""
    if aux is None:
        return discriminator(x, labels), None
    return aux.score(discriminator, x, labels)


def r1_penalty(
    discriminator: nn.Module, real: torch.Tensor, labels: torch.Tensor | None
) -> torch.Tensor:
    """E ||grad_x D(x)||^2 over the real batch, in float32 (graph kept for the backward)."""
    x = real.detach().float().requires_grad_(True)
    logits = discriminator(x, labels)
    (grad,) = torch.autograd.grad(logits.float().sum(), x, create_graph=True)
    return grad.flatten(1).pow(2).sum(dim=1).mean()


def g_step(
    *,
    discriminator: nn.Module,
    loss,
    optimizer: torch.optim.Optimizer,
    fake: torch.Tensor,
    labels: torch.Tensor | None,
    amp_dtype: torch.dtype | None = None,
    augment: Augment | None = None,
    aux: AuxClassifier | None = None,
) -> dict[str, torch.Tensor]:
    """Update the generator once through ``fake`` (which must carry the generator's graph).

    ``augment`` (the same as the discriminator step's) is applied to ``fake`` before D, so the
    generator learns through the augmentation and never learns to produce it. ``aux`` (the
    AC-GAN class head) adds its weighted cross-entropy on the fakes' conditioning labels.

    The discriminator's (and the head's) parameters are frozen for this backward pass, so only
    the gradient with respect to its input is computed; their own gradients are untouched.
    """
    optimizer.zero_grad(set_to_none=True)
    frozen = [discriminator.parameters()] + ([aux.parameters()] if aux is not None else [])
    params = [p for group in frozen for p in group if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    out: dict[str, torch.Tensor] = {}
    try:
        with autocast(fake.device, amp_dtype):
            x = augment(fake) if augment is not None else fake
            d_fake, aux_ce = _score(discriminator, aux, x, labels)
            value = loss.g_loss(d_fake=d_fake)
            if aux is not None:
                value = value + aux.weight * aux_ce
                out["aux_g"] = aux_ce.detach()
        value.backward()
    finally:
        for p in params:
            p.requires_grad_(True)
    optimizer.step()
    out.update(g_loss=value.detach(), d_fake_g=torch.sigmoid(d_fake.detach().float()).mean())
    return out
