"""Training curves of a GAN run as a PNG."""

from __future__ import annotations

import io
from pathlib import Path

from ganlab.io import atomic_write_bytes


def plot_history(history: list[dict], path: Path) -> Path:
    """Loss curves (D, G) and D(x) / D(G(z)) per epoch, side by side, written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_d) = plt.subplots(1, 2, figsize=(10, 3.6))
    ax_loss.plot(epochs, [h["d_loss"] for h in history], label="D loss")
    ax_loss.plot(epochs, [h["g_loss"] for h in history], label="G loss")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_title("losses")
    ax_loss.legend()
    ax_d.plot(epochs, [h["d_real"] for h in history], label="D(x)")
    ax_d.plot(epochs, [h["d_fake"] for h in history], label="D(G(z))")
    ax_d.set_xlabel("epoch")
    ax_d.set_ylim(0, 1)
    ax_d.set_title("discriminator outputs (sigmoid)")
    ax_d.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return atomic_write_bytes(path, buf.getvalue())
