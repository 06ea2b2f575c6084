"""A TensorBoard log of one pipeline run: GAN and classifier scalars per epoch, images, ROC.

Scalars come from the trainers' ``report(epoch, metrics)`` entries, whatever they hold: the GAN's
``d_loss``, ``g_loss``, ``d_real`` (mean D(x)), ``d_fake`` (mean D(G(z))) and ``ada_p`` when
the trainer reports it, the classifier's validation metric and loss. Sample grids and figures
(ROC curve, confusion matrix) are added as images from the PNG files the run writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from ganlab.errors import ConfigError

ReportFn = Callable[[str, int, dict], None]


class TensorBoardLog:
    """``SummaryWriter`` over ``log_dir`` with the pipeline's phases as tag prefixes.

    Args:
        log_dir: The event-file folder (``<run>/tensorboard``).
    """

    def __init__(self, log_dir: str | Path) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as exc:  # tensorboard is an optional extra
            raise ConfigError(
                "study.tensorboard = true needs the tensorboard package: "
                "pip install 'ganlab[trackers]' (or set study.tensorboard = false)"
            ) from exc
        self.log_dir = Path(log_dir)
        self._writer = SummaryWriter(log_dir=str(self.log_dir))
        self._images: set[str] = set()

    def epoch(self, phase: str, epoch: int, metrics: dict[str, Any]) -> None:
        """Every number of an epoch's report as ``<phase>/<name>`` at step ``epoch``."""
        for name, value in metrics.items():
            if isinstance(value, dict):
                value = value.get("value")
            if isinstance(value, (int, float)) and not isinstance(value, bool) and name != "epoch":
                self._writer.add_scalar(f"{phase}/{name}", float(value), epoch)
        self._writer.flush()

    def history(self, phase: str, entries: Iterable[dict[str, Any]]) -> None:
        """A finished (reused) run's per-epoch history, logged at once."""
        for i, entry in enumerate(entries):
            self.epoch(phase, int(entry.get("epoch", i + 1)), entry)

    def images(self, phase: str, paths: Iterable[str | Path], step: int = 0) -> None:
        """PNG files (sample grids, ROC curve, confusion matrix) as ``<phase>/<file stem>``."""
        import numpy as np
        from PIL import Image

        for path in map(Path, paths):
            tag = f"{phase}/{path.stem}"
            if tag in self._images or not path.is_file():
                continue
            self._images.add(tag)
            with Image.open(path) as im:
                arr = np.asarray(im.convert("RGB"))
            self._writer.add_image(tag, arr, step, dataformats="HWC")
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> TensorBoardLog:
        return self

    def __exit__(self, exc_type: type | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def tee_report(report: ReportFn | None, log: TensorBoardLog | None,
               grids: Callable[[], list[Path]] | None = None) -> ReportFn | None:
    """``report`` that also writes each epoch (and any new sample grid) to ``log``."""
    if log is None:
        return report

    def both(phase: str, epoch: int, metrics: dict) -> None:
        log.epoch(phase, epoch, metrics)
        if phase == "gan" and grids is not None:
            log.images("gan", grids(), epoch)
        if report is not None:
            report(phase, epoch, metrics)

    return both
