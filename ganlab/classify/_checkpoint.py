"""Classifier checkpoints: weights plus everything needed to rebuild and preprocess.

A checkpoint is a dict saved atomically and loadable with ``torch.load(weights_only=True)``:
``model`` (state dict) and ``meta`` = {``classifier`` (plugin reference as a dict, with the
parameters that rebuild its architecture), ``num_classes``, ``image_size``, ``channels``,
``class_names``, ``filters`` (the data filter chain as plugin-reference dicts, so new images are
preprocessed identically), ``threshold`` ({``method``, ``value``}), ``tta``}.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganlab.contracts import RebuildsParams
from ganlab.errors import ConfigError, GanlabError
from ganlab.io import atomic_torch_save


def plain(obj: Any) -> Any:
    """A JSON-like copy of ``obj`` (safe for ``weights_only`` loading and for metrics.json)."""
    return json.loads(json.dumps(obj, default=_default))


def _default(obj: Any) -> Any:
    if hasattr(obj, "as_dict"):
        return obj.as_dict()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, (set, tuple)):
        return list(obj)
    if hasattr(obj, "item"):
        return obj.item()
    return str(obj)


def filter_refs(protocol: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The filter chain recorded in a data protocol, as plugin-reference dicts."""
    raw: Iterable[Any] = protocol.get("filters") or protocol.get("filter_chain") or ()
    refs = []
    for item in raw:
        if hasattr(item, "as_dict"):
            item = item.as_dict()
        elif isinstance(item, str):
            item = {"name": item}
        elif isinstance(item.get("params"), dict):  # resolved form: name, params, plugin, ...
            item = {"name": item["name"], **item["params"]}
        refs.append(plain(item))
    return refs


def rebuild_ref(name: str, params: Mapping[str, Any], model: nn.Module) -> dict[str, Any]:
    """The plugin reference that rebuilds ``model`` (``RebuildsParams`` overrides ``params``)."""
    override = model.rebuild_params if isinstance(model, RebuildsParams) else {}
    merged = {**params, **override}
    return plain({"name": name, **{k: v for k, v in merged.items() if v is not None}})


def save_classifier(path: str | Path, model: nn.Module, meta: Mapping[str, Any]) -> Path:
    """Save weights and meta atomically."""
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    return atomic_torch_save(path, {"model": state, "meta": plain(dict(meta))})


def load_classifier(
    path: str | Path, *, device: torch.device | str = "cpu"
) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild a trained classifier in eval mode from its checkpoint; returns (model, meta)."""
    from ganlab.registry import CLASSIFIERS

    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{path}: no such classifier checkpoint (expected the model.pt that "
                          f"`ganlab classify train` writes)")
    try:
        ckpt = torch.load(p, map_location="cpu", weights_only=True)
        meta = ckpt["meta"]
        ref = dict(meta["classifier"])
        name = ref.pop("name")
        structural = {k: meta[k] for k in ("num_classes", "image_size", "channels")}
    except (KeyError, TypeError, RuntimeError, EOFError) as exc:
        raise GanlabError(f"{path}: not a ganlab classifier checkpoint ({exc})") from exc
    model = CLASSIFIERS.create(name, **structural, **ref)
    try:
        model.load_state_dict(ckpt["model"])
    except RuntimeError as exc:
        raise GanlabError(
            f"{path}: weights do not fit classifier {name!r} {ref}: {exc}. Was the plugin "
            f"changed since training? Reinstall the version that trained it."
        ) from exc
    return model.to(device).eval(), meta
