"""Any timm architecture as a classifier, pretrained weights only from a local file."""

from __future__ import annotations

import os
from pathlib import Path

from torch import nn

from ganlab.errors import PluginError, WeightsError


def timm_classifier(
    *,
    num_classes: int,
    image_size: int,
    channels: int,
    model: str = "resnet18",
    pretrained: bool = False,
    weights: str | None = None,
    dropout: float = 0.0,
    drop_rate: float | None = None,
) -> nn.Module:
    """A timm model by name, e.g. ``{name = "timm", model = "resnet18"}``.

    Args:
        num_classes: Output logits; timm replaces the classifier head.
        image_size: Input side (convolutional timm models accept any size).
        channels: Input channels (timm adapts the stem, also for pretrained weights).
        model: A timm model name (see ``timm.list_models()``).
        pretrained: Start from ImageNet weights; needs ``weights`` (ganlab never downloads).
        weights: Local weights file (``.safetensors``, ``.bin`` or ``.pth``) of that model.
        dropout: Dropout before the classifier head (timm's ``drop_rate``), the parameter
            every ganlab classifier takes, so a study's search space survives a model swap.
        drop_rate: The same under timm's name (older study files); give one of the two.
    """
    if drop_rate is not None:
        if dropout not in (0.0, drop_rate):
            raise PluginError(
                f"classifier 'timm': dropout = {dropout} and drop_rate = {drop_rate} are the same "
                "setting; keep only dropout"
            )
        dropout = drop_rate
    if not 0.0 <= dropout < 1.0:
        raise PluginError(f"classifier 'timm': dropout must be in [0, 1), got {dropout}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never wait on hub retries
    import timm

    if not timm.is_model(model):
        import difflib

        close = difflib.get_close_matches(model, timm.list_models(), n=5, cutoff=0.6)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise PluginError(f"classifier 'timm': timm has no model {model!r}.{hint}")
    overlay = None
    if pretrained or weights is not None:
        if weights is None:
            raise WeightsError(
                f"classifier 'timm' (model {model!r}): pretrained = true needs a local weights "
                f"file, given as weights = \"PATH\". On a machine with internet run: python -c "
                f"\"import timm; m = timm.create_model('{model}', pretrained=True); "
                f"import torch; torch.save(m.state_dict(), '{model}.pth')\" and copy the file "
                f"here, or set pretrained = false."
            )
        if not Path(weights).is_file():
            raise WeightsError(
                f"classifier 'timm' (model {model!r}): weights file {weights!r} does not exist. "
                f"Give the path of a downloaded {model} weights file, or set pretrained = false."
            )
        overlay = {"file": str(Path(weights).resolve())}
    try:
        return timm.create_model(
            model,
            pretrained=overlay is not None,
            pretrained_cfg_overlay=overlay,
            num_classes=num_classes,
            in_chans=channels,
            drop_rate=dropout,
        )
    except Exception as exc:  # noqa: BLE001 - a bad weights file is one line, never a traceback
        if overlay is None:
            raise
        raise WeightsError(_weights_problem(model, weights, exc)) from None


def _weights_problem(model: str, weights: str | None, exc: Exception) -> str:
    text = str(exc).strip()
    if "weights_only" in text or "GLOBAL" in text:
        why = ("it holds arbitrary Python objects (a pickle that could run code), which a "
               "weights file never needs; refused")
    else:
        why = f"{type(exc).__name__}: {text.splitlines()[0] if text else 'unreadable'}"
    return (f"classifier 'timm' (model {model!r}): weights file {weights!r} cannot be loaded: "
            f"{why}. Give a {model} weights file (.safetensors, or a state dict saved with "
            "torch.save), or set pretrained = false.")


timm_classifier.search_space = {
    "model": {
        "type": "categorical",
        "choices": ["resnet18", "efficientnet_b0", "mobilenetv3_small_100"],
    },
    "dropout": {"type": "float", "low": 0.0, "high": 0.5},
}
