"""FID and KID with clean-fid, each figure stored with its measurement protocol.

Backbones:

* ``inception``: clean-fid's clean mode (PIL bicubic resize to 299, the 2015 Inception
  torchscript network). Comparable with published clean-fid numbers. The weights file
  ``inception-2015-12-05.pt`` is found the way clean-fid finds it, after an explicit path:
  the path given as an option or in ``$GANLAB_INCEPTION_WEIGHTS`` wins; else clean-fid's own
  cache folder (the system temp folder); else clean-fid downloads it there when the machine is
  online. Offline (no connection within a few seconds, or ``HF_HUB_OFFLINE=1``) with nothing
  cached, a one-line :class:`WeightsError` says how to get the file.
* ``classifier``: the Fréchet distance on penultimate-layer features of a ganlab-trained
  classifier, for machines without the Inception file. NOT comparable with published FID.

The matrix square root uses the symmetric form Tr sqrt(A^1/2 B A^1/2) with two ``eigh`` calls
(2.5 s at 2048-d, against 13.9 s for ``scipy.linalg.sqrtm`` in clean-fid's ``frechet_distance``).
"""

from __future__ import annotations

import hashlib
import os
import platform
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ganlab.errors import DataError, WeightsError
from ganlab.io import downloads_switched_off, file_lock, reachable

INCEPTION_FILE = "inception-2015-12-05.pt"
INCEPTION_URL = (
    "https://nvlabs-fi-cdn.nvidia.com/stylegan2-ada-pytorch/pretrained/metrics/"
    "inception-2015-12-05.pt"
)
WEIGHTS_ENV = "GANLAB_INCEPTION_WEIGHTS"
NOT_COMPARABLE = "NOT comparable with published FID (features of a ganlab-trained classifier)"
_IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


def frechet_distance(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray
) -> float:
    """||mu1 - mu2||^2 + Tr(S1) + Tr(S2) - 2 Tr sqrt(S1^1/2 S2 S1^1/2), via symmetric ``eigh``.

    Equal to the usual Tr sqrt(S1 S2) (the two matrices are similar) but stable and fast for
    symmetric positive semi-definite covariances; tiny negative eigenvalues are clipped.
    """
    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    s1, s2 = np.atleast_2d(sigma1).astype(np.float64), np.atleast_2d(sigma2).astype(np.float64)
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape[0] != mu1.shape[0]:
        raise ValueError(f"shapes differ: mu {mu1.shape}/{mu2.shape}, sigma {s1.shape}/{s2.shape}")
    w, v = np.linalg.eigh((s1 + s1.T) / 2)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    middle = root1 @ s2 @ root1
    eig = np.linalg.eigvalsh((middle + middle.T) / 2)
    tr_covmean = float(np.sqrt(np.clip(eig, 0, None)).sum())
    diff = mu1 - mu2
    value = float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * tr_covmean)
    return max(value, 0.0)  # a distance: rounding can leave -1e-6 for identical sets


def kernel_distance(real: np.ndarray, fake: np.ndarray, *, seed: int = 0) -> float:
    """clean-fid's KID (cubic polynomial kernel MMD, 100 subsets), with its RNG seeded."""
    from cleanfid.fid import kernel_distance as _kid

    state = np.random.get_state()
    try:
        np.random.seed(seed)
        return float(_kid(real, fake))
    finally:
        np.random.set_state(state)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def inception_cache_dir() -> Path:
    """clean-fid's own folder for its Inception file: the system temp folder (``/tmp`` on Linux
    and macOS; the working folder on Windows, as clean-fid does)."""
    return Path.cwd() if platform.system() == "Windows" else Path(tempfile.gettempdir())


def _how_to_get_inception() -> str:
    return (
        f"FID needs clean-fid's Inception weights {INCEPTION_FILE} (about 100 MB), which "
        f"clean-fid downloads into {inception_cache_dir()} when the machine is online. On an "
        f"offline machine download {INCEPTION_URL} on a connected one, copy it here, and pass "
        f"--inception-weights PATH or set {WEIGHTS_ENV}=PATH (or fid.inception_weights in the "
        "study file). Without it, use --backbone classifier (not comparable with published FID)."
    )


def resolve_inception_weights(path: str | Path | None = None, *, download: bool = True) -> Path:
    """The Inception file: ``path`` or ``$GANLAB_INCEPTION_WEIGHTS`` (file or folder) when given,
    else clean-fid's cache, downloaded there by clean-fid when ``download`` and online."""
    given = path or os.environ.get(WEIGHTS_ENV)
    if given:
        p = Path(given).expanduser()
        if p.is_dir():
            p = p / INCEPTION_FILE
        if not p.is_file():
            raise WeightsError(f"Inception weights not found at {p}. {_how_to_get_inception()}")
        return p
    cached = inception_cache_dir() / INCEPTION_FILE
    if cached.is_file() or (download and _download_inception(cached)):
        return cached
    raise WeightsError(f"no Inception weights given or cached, and this machine is offline. "
                       f"{_how_to_get_inception()}")


def _download_inception(target: Path) -> bool:
    """clean-fid's own download into ``target`` (atomic, one process at a time); False offline."""
    from cleanfid import downloads_helper

    url = downloads_helper.inception_url  # read at call time: clean-fid's URL
    if downloads_switched_off() or not reachable(url):
        return False
    try:
        with file_lock(target.with_name(f".{INCEPTION_FILE}.lock")):
            if target.is_file():  # another process downloaded it meanwhile
                return True
            with tempfile.TemporaryDirectory(dir=target.parent,
                                             prefix=".inception-download-") as tmp:
                downloads_helper.check_download_inception(fpath=tmp)
                os.replace(Path(tmp) / INCEPTION_FILE, target)
    except (OSError, ValueError) as exc:  # urllib's URLError and HTTPError are OSErrors
        raise WeightsError(f"downloading {url} into {target.parent} failed ({exc}). "
                           f"{_how_to_get_inception()}") from None
    return True


@dataclass
class Backbone:
    """A feature extractor and the protocol fields that describe it."""

    name: str
    weights_sha256: str
    resizer: str
    input_size: int
    features: Callable[[Any], Any]  # float (B, 3, s, s) in 0..255 -> (B, D) torch tensor
    comparable: bool


def inception_backbone(weights: str | Path | None, *, device: Any = "cpu") -> Backbone:
    """clean-fid's clean-mode Inception (the file from ``resolve_inception_weights``)."""
    import torch
    from cleanfid.inception_torchscript import InceptionV3W

    path = resolve_inception_weights(weights)
    try:
        model = InceptionV3W(str(path.parent), download=False).to(torch.device(device)).eval()
    except Exception as exc:  # noqa: BLE001 - a corrupt file is a user-facing problem
        raise WeightsError(f"{path}: cannot load the Inception torchscript file ({exc})") from exc

    def features(x: Any) -> Any:
        with torch.no_grad():
            return model(x.to(torch.device(device)))

    return Backbone("inception-v3-2015-12-05 (clean-fid)", sha256_file(path),
                    "clean-fid clean: PIL bicubic to 299x299", 299, features, True)


def feature_backbone(
    features: Callable[[Any], Any], *, name: str, weights_sha256: str, image_size: int
) -> Backbone:
    """A backbone over any feature function, e.g. a ganlab classifier's penultimate layer.

    The caller builds ``features`` (float (B, 3, s, s) in 0..255 at ``image_size`` -> (B, D)
    tensor); metrics never loads a model itself. The figures are NOT comparable with published
    FID.
    """
    return Backbone(name, weights_sha256, f"PIL bicubic to {image_size}x{image_size}",
                    image_size, features, False)


def _resizer(size: int) -> Callable[[np.ndarray], np.ndarray]:
    """uint8 HWC -> float32 HWC in 0..255 at ``size`` (clean-fid's clean resize at 299)."""
    from cleanfid.resize import make_resizer

    return make_resizer("PIL", False, "bicubic", (size, size))


def image_features(
    images: Any, backbone: Backbone, *, batch_size: int = 50
) -> np.ndarray:
    """Features (N, D) of uint8 images (N, 3, H, W) or of every image file under a folder."""
    import torch

    arrays = _load_folder(Path(images)) if isinstance(images, (str, Path)) else [
        img.permute(1, 2, 0).numpy() for img in images
    ]
    resize = _resizer(backbone.input_size)
    out = []
    for start in range(0, len(arrays), batch_size):
        batch = np.stack([resize(a) for a in arrays[start : start + batch_size]])
        x = torch.from_numpy(batch).permute(0, 3, 1, 2).contiguous()
        out.append(backbone.features(x).cpu().numpy().astype(np.float64))
    if not out:
        raise DataError("no images to compute features of (an empty image tensor)")
    return np.concatenate(out)


def _load_folder(folder: Path) -> list[np.ndarray]:
    from PIL import Image

    if not folder.is_dir():
        raise DataError(f"{folder}: no such image folder")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in _IMAGE_EXTS)
    if not files:
        raise DataError(f"{folder}: no image files (png, jpg, ...) found, also in subfolders")
    return [np.asarray(Image.open(p).convert("RGB")) for p in files]


def fid_from_features(
    real: np.ndarray, fake: np.ndarray, *, backbone: Backbone, kid: bool = True,
    image_size: int | None = None,
) -> dict[str, Any]:
    """FID (and KID) of two feature sets with the protocol of the measurement."""
    mu_r, mu_f = real.mean(axis=0), fake.mean(axis=0)
    sig_r, sig_f = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    dim = real.shape[1]
    protocol: dict[str, Any] = {
        "backbone": backbone.name,
        "weights_sha256": backbone.weights_sha256,
        "n_real": int(real.shape[0]),
        "n_fake": int(fake.shape[0]),
        "feature_dim": int(dim),
        "image_size": image_size,
        "resizer": backbone.resizer,
        "comparable_with_published_fid": backbone.comparable,
        "sqrtm": "symmetric eigh",
    }
    if not backbone.comparable:
        protocol["note"] = NOT_COMPARABLE
    if min(real.shape[0], fake.shape[0]) < dim:
        protocol["warning"] = (
            f"n_real={real.shape[0]} / n_fake={fake.shape[0]} below the feature dimension {dim}: "
            "the covariances are rank-deficient and FID is biased upward; compare only figures "
            "measured at the same n."
        )
    out: dict[str, Any] = {"fid": frechet_distance(mu_r, sig_r, mu_f, sig_f)}
    if kid:
        out["kid"] = kernel_distance(real, fake)
    out["fid_protocol"] = protocol
    return out


def compute_fid(
    real: Any,
    fake: Any,
    *,
    backbone: Backbone,
    kid: bool = True,
    batch_size: int = 50,
) -> dict[str, Any]:
    """FID/KID between real and fake images (uint8 tensors (N, 3, H, W) or image folders).

    Returns:
        ``{"fid": float, "kid": float, "fid_protocol": {...}}``.
    """
    real_f = image_features(real, backbone, batch_size=batch_size)
    fake_f = image_features(fake, backbone, batch_size=batch_size)
    size = int(real.shape[-1]) if hasattr(real, "shape") else None
    return fid_from_features(real_f, fake_f, backbone=backbone, kid=kid, image_size=size)


def plan_training_fid(fid_cfg: Any) -> tuple[Callable[..., dict] | None, str]:
    """How ``train_gan`` scores its generator: (scorer or None, reason when None).

    ``backbone = "inception"`` without weights raises :class:`WeightsError` at once, before
    training; ``auto`` falls back to skipping with a reason; ``classifier`` is skipped here
    because no classifier exists yet during GAN training (use ``ganlab gan fid`` later).
    """
    if not fid_cfg.enabled:
        return None, "fid.enabled = false"
    if fid_cfg.backbone == "classifier":
        return None, ("fid.backbone = classifier needs a trained classifier; run "
                      "`ganlab gan fid REAL FAKE --backbone classifier --classifier-ckpt C`")
    try:
        weights = resolve_inception_weights(fid_cfg.inception_weights)
    except WeightsError as exc:
        if fid_cfg.backbone == "inception":
            raise
        return None, f"no Inception weights (fid.backbone = auto): {exc}"

    def scorer(real: Any, fake: Any, *, device: Any) -> dict[str, Any]:
        return compute_fid(real, fake, backbone=inception_backbone(weights, device=device),
                           kid=fid_cfg.kid)

    return scorer, ""


def build_backbone(
    name: str,
    *,
    inception_weights: str | Path | None = None,
    classifier: Backbone | None = None,
    device: Any = "cpu",
) -> Backbone:
    """``inception`` (local clean-fid weights) or ``classifier`` (a backbone the caller built).

    ``classifier`` is built above metrics (``ganlab.classify.classifier_backbone``), so metrics
    imports no model code.
    """
    if name == "inception":
        return inception_backbone(inception_weights, device=device)
    if name != "classifier":
        raise WeightsError(f"unknown FID backbone {name!r}; use inception or classifier")
    if classifier is None:
        raise WeightsError(
            "the classifier backbone needs a trained ganlab classifier (the model.pt that "
            "`ganlab classify train` writes)"
        )
    return classifier


def inception_notice(fid_cfg: Any) -> str | None:
    """One line to show at the start of a run whose FID/KID will be skipped, else ``None``.

    ``fid.backbone = auto`` without Inception weights (none given, none cached, offline) skips
    FID/KID at the end of training; runs say so once when they start (``inception`` without
    weights fails instead). Online, clean-fid's download happens here, before training.
    """
    if not fid_cfg.enabled or fid_cfg.backbone != "auto":
        return None
    try:
        resolve_inception_weights(fid_cfg.inception_weights)
    except WeightsError:
        return (
            f"no Inception weights ({INCEPTION_FILE}) given or cached, and this machine is "
            f"offline: Inception FID/KID are skipped in this run. Set {WEIGHTS_ENV}=PATH or "
            "fid.inception_weights to compute them; the offline GAN metrics "
            "(precision/recall/density/coverage, TSTR) do not need them."
        )
    return None
