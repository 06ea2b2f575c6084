"""Classification figures (matplotlib, Agg backend): ROC curve, confusion matrix, training curves.

The ROC curve follows the paper's Figure 18 (AUC in the legend), the confusion matrix its
Figure 17. Every function writes one PNG and returns its path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ganlab.metrics._classification import classification_metrics, roc_points


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    _pyplot().close(fig)
    return path


def plot_roc(
    curves: Mapping[str, tuple[Sequence[int], Sequence[float]]],
    path: str | Path,
    *,
    title: str = "ROC curve",
) -> Path:
    """ROC curves, one per ``{label: (y, prob)}`` entry, with each AUC in the legend."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 5))
    for label, (y, prob) in curves.items():
        pts = roc_points(y, prob)
        auc = classification_metrics(y, prob)["roc_auc"]
        ax.plot(pts["fpr"], pts["tpr"], lw=2, label=f"{label} (AUC = {auc:.3f})")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="chance")
    ax.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="False positive rate (1 - specificity)",
           ylabel="True positive rate (sensitivity)", title=title)
    ax.legend(loc="lower right")
    return _save(fig, path)


def plot_confusion(
    matrix: Sequence[Sequence[int]],
    class_names: Sequence[str],
    path: str | Path,
    *,
    title: str = "Confusion matrix",
) -> Path:
    """A 2x2 confusion matrix ``[[tn, fp], [fn, tp]]`` with counts and row percentages."""
    import numpy as np

    plt = _pyplot()
    cm = np.asarray(matrix, dtype=float)
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.imshow(cm, cmap="Blues")
    ax.grid(False)  # a style with axes.grid on (optuna's plots use ggplot) would cross the cells
    rows = cm.sum(1, keepdims=True)
    share = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            color = "white" if cm[i, j] > cm.max() / 2 else "black"
            ax.text(j, i, f"{int(cm[i, j])}\n{share[i, j]:.1%}", ha="center", va="center",
                    color=color, fontsize=13)
    ticks = range(len(class_names))
    ax.set_xticks(list(ticks), list(class_names))
    ax.set_yticks(list(ticks), list(class_names))
    ax.set(xlabel="Predicted", ylabel="True", title=title)
    return _save(fig, path)


def plot_training_curves(
    history: Sequence[Mapping[str, float]],
    path: str | Path,
    *,
    monitor: str = "roc_auc",
) -> Path:
    """Train/validation loss and the monitored validation metric per epoch."""
    plt = _pyplot()
    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_metric) = plt.subplots(1, 2, figsize=(9, 3.5))
    for key, label in (("train_loss", "train"), ("val_loss", "validation")):
        if history and key in history[0]:
            ax_loss.plot(epochs, [h[key] for h in history], marker="o", label=label)
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="Loss")
    ax_loss.legend()
    key = f"val_{monitor}"
    if history and key in history[0]:
        ax_metric.plot(epochs, [h[key] for h in history], marker="o", color="C2")
    ax_metric.set(xlabel="epoch", ylabel=monitor, title=f"Validation {monitor}")
    return _save(fig, path)
