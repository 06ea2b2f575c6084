"""Classifier checkpoints: weights plus everything needed to rebuild and preprocess.

A checkpoint is a dict saved atomically and loadable with ``torch.load(weights_only=True)``:
``model`` (state dict) and ``meta`` = {``classifier`` (plugin reference as a dict, with the
parameters that rebuild its architecture), ``num_classes``, ``image_size``, ``channels``,
``class_names``, ``filters`` (the data filter chain as plugin-reference dicts, so new images are
preprocessed identically), ``threshold`` ({``method``, ``value``}), ``tta``}. The
colour-histogram floor is such a checkpoint of the ``colour_histogram`` classifier plugin.
A fold ensemble has ``meta["kind"] = "ensemble:folds"`` and ``meta["members"]`` (the members'
plugin references; its weights are ``members.<k>.<param>``).

Loading never runs code from the file (``weights_only``); a missing, empty, truncated, corrupt or
foreign file, or one from another model, is a one-line :class:`GanlabError` naming the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganlab.classify._fold_model import ENSEMBLE_KIND, build_fold_ensemble
from ganlab.config import validate_checkpoint_meta
from ganlab.contracts import RebuildsParams
from ganlab.errors import ConfigError, GanlabError
from ganlab.io import atomic_torch_save, safe_torch_load
from ganlab.registry import CLASSIFIERS


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
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{path}: no such classifier checkpoint (expected the model.pt that "
                          f"`ganlab classify train` writes)")
    ckpt = safe_torch_load(p, what="classifier checkpoint")
    try:
        meta = ckpt["meta"]
        ref = dict(meta["classifier"])
        name = ref.pop("name")
        structural = {k: meta[k] for k in ("num_classes", "image_size", "channels")}
        weights = ckpt["model"]
    except (KeyError, TypeError, IndexError) as exc:
        gan = " (it is a GAN checkpoint)" if isinstance(ckpt, dict) and "generator" in ckpt else ""
        raise GanlabError(
            f"{path}: not a ganlab classifier checkpoint{gan}: it lacks {_key(exc)}; give the "
            f"model.pt that `ganlab classify train` writes (or `classify floors`' "
            f"floor_colour_histogram.pt)"
        ) from None
    validate_checkpoint_meta(path, meta, what="classifier checkpoint")
    if meta.get("kind") == ENSEMBLE_KIND:  # saved by a k-fold run (see _final.py)
        try:
            return build_fold_ensemble(meta, weights).to(device).eval(), meta
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise GanlabError(f"{path}: a damaged fold ensemble ({type(exc).__name__}: "
                              f"{str(exc).splitlines()[0] if str(exc) else ''}); retrain it"
                              ) from None
    try:
        model = CLASSIFIERS.create(name, **structural, **ref)
    except (TypeError, ValueError) as exc:
        raise GanlabError(f"{path}: classifier {name!r} cannot be rebuilt with the saved "
                          f"parameters {ref} ({exc}); was the plugin changed since training?"
                          ) from None
    try:
        model.load_state_dict(weights)
    except (RuntimeError, TypeError, AttributeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise GanlabError(
            f"{path}: its weights do not fit classifier {name!r} {ref} ({first}); the file was "
            f"saved from another model, or the plugin changed since training (reinstall the "
            f"version that trained it)"
        ) from None
    return model.to(device).eval(), meta


def load_for_scoring(
    path: str | Path, *, device: torch.device | str = "cpu"
) -> tuple[nn.Module, dict[str, Any]]:
    """:func:`load_classifier` for scoring images: the meta must also hold the class names, the
    filter chain and the threshold (a feature backbone needs none of them)."""
    model, meta = load_classifier(path, device=device)
    missing = [k for k in ("class_names", "filters", "threshold") if k not in meta]
    if missing:
        raise GanlabError(
            f"{path}: a classifier checkpoint without {', '.join(missing)}, so new images "
            "cannot be preprocessed and thresholded like its training data; give the model.pt "
            "that `ganlab classify train` writes"
        )
    return model, meta


def _key(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"the key {exc.args[0]!r}"
    return "the expected layout (a dict with model and meta)"
