"""Broken and unusual image files for the validation tests."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def png_bytes(img: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


def rgb_image(seed: int = 0, size: int = 24) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8))


def odd_files() -> dict[str, bytes]:
    """File name -> bytes of every broken or unusual case, with the expected outcome in the name
    (``ok_*`` usable as is, ``conv_*`` converted, ``skip_*`` skipped)."""
    rgb = rgb_image(1)
    jpeg = png_bytes(rgb, "JPEG")
    rgba_t = Image.new("RGBA", (24, 24), (10, 20, 30, 255))
    rgba_t.putpixel((3, 3), (10, 20, 30, 0))
    pal_t = Image.new("P", (24, 24), 0)
    pal_t.putpalette([10, 20, 30, 200, 100, 50])
    pal_t.putpixel((5, 5), 1)
    pal_buf = io.BytesIO()
    pal_t.save(pal_buf, format="PNG", transparency=0)
    gray16 = Image.fromarray(np.arange(24 * 24, dtype=np.uint16).reshape(24, 24) * 100)
    buf = io.BytesIO()
    Image.fromarray(np.zeros((24, 24), np.float32)).save(buf, format="TIFF")
    return {
        "ok_rgb.png": png_bytes(rgb),
        "ok_rgb.jpg": jpeg,
        "conv_gray.png": png_bytes(rgb.convert("L")),
        "conv_rgba_opaque.png": png_bytes(rgb.convert("RGBA")),
        "conv_palette.png": png_bytes(rgb.convert("P")),
        "conv_cmyk.jpg": png_bytes(rgb.convert("CMYK"), "JPEG"),
        "conv_gray16.png": png_bytes(gray16),
        "skip_empty.jpg": b"",
        "skip_text.jpg": b"this is not an image\n",
        "skip_truncated.jpg": jpeg[: len(jpeg) // 2],
        "skip_corrupt.png": png_bytes(rgb)[:16] + b"\x00" * 200,
        "skip_transparent.png": png_bytes(rgba_t),
        "skip_palette_transparent.png": pal_buf.getvalue(),
        "skip_bilevel.png": png_bytes(rgb.convert("1")),
        "skip_float.tif": buf.getvalue(),
        "skip_tiny.png": png_bytes(rgb_image(2, size=4)),
    }
