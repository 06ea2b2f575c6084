"""One discriminator step and one generator step, as pure functions.

Neither function owns state: modules, optimizers, batches and the autocast dtype are passed in,
and the loss values come back as detached tensors (no host sync, so GPU steps stay queued).
The trainer generates ``fake`` once per step and reuses it for the generator step, like the
pytorch/examples DCGAN loop: the discriminator sees ``fake.detach()``, the generator step
backpropagates through the same graph.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn


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
) -> dict[str, torch.Tensor]:
    """Update the discriminator once on a real and a (detached) fake batch.

    Returns:
        ``d_loss`` and ``d_real`` / ``d_fake``: the mean of sigmoid(logit), i.e. D(x) and
        D(G(z)) as DCGAN papers plot them; all detached.
    """
    fake = fake.detach()
    optimizer.zero_grad(set_to_none=True)
    with autocast(real.device, amp_dtype):
        d_real = discriminator(real, labels)
        d_fake = discriminator(fake, labels)
        value = loss.d_loss(
            d_real=d_real, d_fake=d_fake, real=real, fake=fake,
            discriminator=discriminator, labels=labels,
        )
    value.backward()
    optimizer.step()
    return {
        "d_loss": value.detach(),
        "d_real": torch.sigmoid(d_real.detach().float()).mean(),
        "d_fake": torch.sigmoid(d_fake.detach().float()).mean(),
    }


def g_step(
    *,
    discriminator: nn.Module,
    loss,
    optimizer: torch.optim.Optimizer,
    fake: torch.Tensor,
    labels: torch.Tensor | None,
    amp_dtype: torch.dtype | None = None,
) -> dict[str, torch.Tensor]:
    """Update the generator once through ``fake`` (which must carry the generator's graph).

    The discriminator's parameters are frozen for this backward pass, so only the gradient
    with respect to its input is computed; its own gradients are untouched.
    """
    optimizer.zero_grad(set_to_none=True)
    params = [p for p in discriminator.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        with autocast(fake.device, amp_dtype):
            d_fake = discriminator(fake, labels)
            value = loss.g_loss(d_fake=d_fake)
        value.backward()
    finally:
        for p in params:
            p.requires_grad_(True)
    optimizer.step()
    return {"g_loss": value.detach(), "d_fake_g": torch.sigmoid(d_fake.detach().float()).mean()}
