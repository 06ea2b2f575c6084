"""Any timm architecture as a classifier; pretrained weights fetched the way timm fetches them.

``pretrained = true`` takes the model's weights from timm's Hugging Face hub cache
(``$HF_HOME``), downloading them there when the machine is online, exactly where
``timm.create_model(name, pretrained=True)`` puts them. A local file given as ``weights``
wins. Offline (``HF_HUB_OFFLINE=1``, or no connection to the hub within a few seconds) only the
cache is read, and a model without cached weights is a one-line :class:`WeightsError` at once,
not the hub's retry loop (about 47 s).
"""

from __future__ import annotations

from pathlib import Path

from torch import nn

from ganlab.errors import PluginError, WeightsError
from ganlab.io import downloads_switched_off, reachable


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
        pretrained: Start from ImageNet weights: ``weights`` when given, else timm's hub cache
            (downloaded into it when online).
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
    import timm

    if not timm.is_model(model):
        import difflib

        close = difflib.get_close_matches(model, timm.list_models(), n=5, cutoff=0.6)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise PluginError(f"classifier 'timm': timm has no model {model!r}.{hint}")
    overlay = None
    if weights is not None:
        if not Path(weights).is_file():
            raise WeightsError(
                f"classifier 'timm' (model {model!r}): weights file {weights!r} does not exist. "
                f"Give the path of a downloaded {model} weights file, or set pretrained = false."
            )
        overlay = {"file": str(Path(weights).resolve())}
    elif pretrained:
        overlay = {"file": hub_weights(model)}
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
        raise WeightsError(_weights_problem(model, overlay["file"], exc)) from None


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


def _no_weights(model: str, why: str) -> WeightsError:
    return WeightsError(
        f"classifier 'timm' (model {model!r}): pretrained = true {why}. Give a local weights "
        f"file as weights = \"PATH\" (on a machine with internet run: python -c \"import timm; "
        f"m = timm.create_model('{model}', pretrained=True); import torch; "
        f"torch.save(m.state_dict(), '{model}.pth')\" and copy the file here), or set "
        f"pretrained = false."
    )


def hub_weights(model: str) -> str:
    """The path of ``model``'s pretrained weights in timm's hub cache, downloaded when online.

    The hub repository and file are timm's (its pretrained config's ``hf_hub_id``, safetensors
    first); offline only the cache is read (``local_files_only``), so the answer is quick.
    """
    import huggingface_hub
    from huggingface_hub import constants
    from huggingface_hub.errors import EntryNotFoundError
    from timm.models import get_pretrained_cfg

    cfg = get_pretrained_cfg(model)
    if cfg is None or not cfg.hf_hub_id:
        raise _no_weights(model, "has no weights on the Hugging Face hub for this timm model")
    repo, _, revision = cfg.hf_hub_id.partition("@")
    files = [cfg.hf_hub_filename] if cfg.hf_hub_filename else ["model.safetensors",
                                                               "pytorch_model.bin"]
    offline = (constants.is_offline_mode() or downloads_switched_off()
               or not reachable(constants.ENDPOINT))
    for name in files:
        try:
            return huggingface_hub.hf_hub_download(
                repo, name, revision=revision or None, local_files_only=offline,
                library_name="timm")
        except EntryNotFoundError:  # not in the cache (offline) or not in the repository
            continue
        except OSError as exc:  # the hub's HTTP errors (gated, rate limit, network) are OSErrors
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            raise _no_weights(model, f"could not download {repo}/{name} ({first})") from None
    if offline:
        raise _no_weights(model, f"found no weights of {repo} in timm's hub cache "
                                 f"({constants.HF_HUB_CACHE}) and this machine is offline")
    raise _no_weights(model, f"found none of {', '.join(files)} in hub repository {repo}")
