"""Decoding and validating one image file: every file is read and decoded exactly once.

A file is either *usable* (possibly after a safe conversion to 8-bit RGB, noted in ``converted``)
or *skipped* with a reason. Safe conversions: grayscale, opaque RGBA/LA, palette without
transparency, CMYK, YCbCr/LAB/HSV, 16-bit grayscale (scaled to 8 bits). Skipped: empty,
non-image, truncated and corrupt files, images with real transparency, other modes (1-bit,
float, 32-bit), and images smaller than :data:`MIN_SIDE` pixels.
"""

from __future__ import annotations

import io
import threading
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError

MIN_SIDE = 8  # smaller images carry no usable lesion detail
_WARNING_FILTERS = threading.Lock()  # held while warnings.catch_warnings is active

SKIP_EMPTY = "empty file"
SKIP_NOT_IMAGE = "not an image"
SKIP_TRUNCATED = "truncated"
SKIP_CORRUPT = "corrupt"
SKIP_TRANSPARENT = "transparency (alpha channel in use)"
SKIP_TOO_SMALL = f"smaller than {MIN_SIDE} px"
SKIP_TOO_LARGE = "too large (decompression-bomb limit)"
SKIP_UNREADABLE = "unreadable file"


@dataclass
class Decoded:
    """Outcome of decoding one file.

    Attributes:
        rgb: ``uint8`` (H, W, 3) RGB array, or ``None`` when skipped.
        skipped: Skip reason, or ``""`` when usable.
        converted: What conversion made it usable (e.g. ``"grayscale -> RGB"``), or ``""``.
        mode: The PIL mode as stored in the file (``""`` when it could not be read).
        size: (width, height) as stored in the file, or (0, 0).
    """

    rgb: np.ndarray | None
    skipped: str = ""
    converted: str = ""
    mode: str = ""
    size: tuple[int, int] = (0, 0)


_SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*")


def _has_image_signature(data: bytes) -> bool:
    return data.startswith(_SIGNATURES) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def _opaque(alpha: np.ndarray) -> bool:
    return bool(alpha.size == 0 or alpha.min() == 255)


def _to_rgb(img: Image.Image) -> tuple[np.ndarray | None, str, str]:
    """(rgb, converted, skipped) for a fully loaded PIL image."""
    mode = img.mode
    if mode == "RGB":
        return np.asarray(img, dtype=np.uint8), "", ""
    if mode == "L":
        return np.asarray(img.convert("RGB"), dtype=np.uint8), "grayscale -> RGB", ""
    if mode in ("RGBA", "LA", "RGBa", "La", "PA"):
        rgba = np.asarray(img.convert("RGBA"), dtype=np.uint8)
        if not _opaque(rgba[..., 3]):
            return None, "", SKIP_TRANSPARENT
        return np.ascontiguousarray(rgba[..., :3]), f"{mode} (opaque) -> RGB", ""
    if mode == "P":
        if "transparency" in img.info:
            rgba = np.asarray(img.convert("RGBA"), dtype=np.uint8)
            if not _opaque(rgba[..., 3]):
                return None, "", SKIP_TRANSPARENT
            return np.ascontiguousarray(rgba[..., :3]), "palette -> RGB", ""
        return np.asarray(img.convert("RGB"), dtype=np.uint8), "palette -> RGB", ""
    if mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        return np.asarray(img.convert("RGB"), dtype=np.uint8), f"{mode} -> RGB", ""
    if mode.startswith("I;16") or mode == "I":
        arr = np.asarray(img).astype(np.int64)
        if arr.ndim != 2 or arr.min() < 0 or arr.max() > 65535:
            return None, "", f"unsupported mode {mode} (values outside 16 bits)"
        gray = np.round(arr / 257.0).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2), "16-bit grayscale -> 8-bit RGB", ""
    return None, "", f"unsupported mode {mode}"


def decode_bytes(data: bytes) -> Decoded:
    """Decode and validate an image file's bytes into 8-bit RGB (see the module docstring)."""
    if not data:
        return Decoded(None, SKIP_EMPTY)
    mode, size = "", (0, 0)
    try:
        # catch_warnings swaps the process-wide filter list: one thread at a time (the scan
        # decodes on several threads)
        with _WARNING_FILTERS, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            mode, size = img.mode, img.size
            img.load()
    except UnidentifiedImageError:
        return Decoded(None, SKIP_CORRUPT if _has_image_signature(data) else SKIP_NOT_IMAGE)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return Decoded(None, SKIP_TOO_LARGE)
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        reason = SKIP_TRUNCATED if "truncat" in str(exc).lower() else SKIP_CORRUPT
        return Decoded(None, reason, mode=mode, size=size)
    if min(size) < MIN_SIDE:
        return Decoded(None, SKIP_TOO_SMALL, mode=mode, size=size)
    rgb, converted, skipped = _to_rgb(img)
    return Decoded(rgb, skipped, converted, mode, size)


def decode_file(path: str) -> tuple[Decoded, bytes]:
    """Read ``path`` and decode it; an unreadable file is skipped, not raised."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        return Decoded(None, f"{SKIP_UNREADABLE}: {exc.strerror or exc}"), b""
    return decode_bytes(data), data
