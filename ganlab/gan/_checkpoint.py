"""GAN checkpoints: one dict, written atomically, loadable with ``torch.load(weights_only=True)``.

Keys: ``generator``, ``discriminator`` (state dicts), ``g_optimizer``, ``d_optimizer``,
``scaler``, ``rng``, ``epoch``, ``history``, ``fixed_noise``, ``fixed_labels`` and ``meta`` =
{``nz``, ``image_size``, ``channels``, ``num_classes``, ``class_names``, ``generator``,
``discriminator`` (plugin refs as dicts), ``loss``, ``seed``, ``augment``, ``ema``}; with the
data-efficient options also ``ema`` (the EMA generator's state and update count),
``augment_state`` (an adaptive augmentation's p) and ``d_steps`` (the lazy R1 schedule).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganlab.config import PluginRef, validate_checkpoint_meta
from ganlab.errors import GanlabError, TrainingError
from ganlab.gan._build import build_discriminator, build_generator
from ganlab.io import atomic_torch_save, safe_torch_load

REQUIRED_KEYS = (
    "generator", "discriminator", "g_optimizer", "d_optimizer", "scaler", "rng", "epoch",
    "history", "meta",
)


def save_checkpoint(path: Path, state: dict[str, Any]) -> Path:
    """Write ``state`` atomically (a kill leaves the previous checkpoint intact)."""
    missing = [k for k in REQUIRED_KEYS if k not in state]
    if missing:
        raise ValueError(f"checkpoint state lacks {missing}")  # a bug in the trainer
    return atomic_torch_save(path, state)


def read_checkpoint(path: str | Path, *, map_location: str | torch.device = "cpu") -> dict:
    """Load a GAN checkpoint safely; a missing or foreign file is a :class:`TrainingError`."""
    path = Path(path)
    if not path.is_file():
        raise TrainingError(
            f"{path}: no such GAN checkpoint. Train one with `ganlab gan train STUDY_FILE`; "
            "it is written to <output>/<study>/gan/checkpoint.pt."
        )
    try:
        state = safe_torch_load(path, what="GAN checkpoint", map_location=map_location)
    except GanlabError as exc:  # one line: missing, empty, truncated, foreign or unsafe
        raise TrainingError(str(exc)) from None
    if not isinstance(state, dict) or any(k not in state for k in REQUIRED_KEYS):
        raise TrainingError(
            f"{path}: not a ganlab GAN checkpoint (expected keys {', '.join(REQUIRED_KEYS)})."
        )
    try:
        validate_checkpoint_meta(path, state["meta"], what="GAN checkpoint")
    except GanlabError as exc:
        raise TrainingError(str(exc)) from None
    return state


def load_generator(
    path: str | Path, *, device: str | torch.device = "cpu"
) -> tuple[nn.Module, dict[str, Any]]:
    """The trained generator of a checkpoint (in eval mode on ``device``) and its meta.

    With ``gan.ema`` this is the EMA generator (what grids, metrics and synthesis use);
    ``meta["ema"]`` says which one was loaded, ``meta["precision"]`` how it was trained (see
    :func:`ganlab.device.choose_precision`).
    """
    state = read_checkpoint(path)
    meta = dict(state["meta"])
    net = build_generator(
        PluginRef.from_dict(meta["generator"]), nz=meta["nz"], image_size=meta["image_size"],
        channels=meta["channels"], num_classes=meta["num_classes"],
    )
    ema = state.get("ema") or {}
    net.load_state_dict(ema["module"] if ema else state["generator"])
    meta["ema"] = bool(ema)
    meta["precision"] = state.get("precision")  # the training precision; None: not recorded
    return net.to(device).eval(), meta


def load_discriminator(
    path: str | Path, *, device: str | torch.device = "cpu"
) -> tuple[nn.Module, dict[str, Any]]:
    """The trained discriminator of a checkpoint (in eval mode on ``device``) and its meta."""
    state = read_checkpoint(path)
    meta = state["meta"]
    net = build_discriminator(
        PluginRef.from_dict(meta["discriminator"]), image_size=meta["image_size"],
        channels=meta["channels"], num_classes=meta["num_classes"],
    )
    net.load_state_dict(state["discriminator"])
    return net.to(device).eval(), meta
