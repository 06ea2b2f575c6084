"""Divergence and collapse detection: stop a run that cannot recover, with a clear reason."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ganlab.errors import TrainingError


@dataclass
class HealthMonitor:
    """Checks each epoch's summary and raises :class:`TrainingError` when training has failed.

    Three failures are detected:

    * a loss or D output that is NaN or infinite (at once);
    * the discriminator winning outright: D loss below ``d_floor`` while the G loss is above
      ``g_ceiling``, for ``patience`` epochs in a row (only for losses where that is meaningful,
      see ``watch_d_collapse``);
    * sample diversity collapse: the mean pairwise distance of the fixed-noise samples below
      ``diversity_ratio`` times that of real images, for ``patience`` epochs in a row, after
      ``warmup`` epochs.
    """

    d_floor: float = 1e-2
    g_ceiling: float = 10.0
    diversity_ratio: float = 0.05
    patience: int = 3
    warmup: int = 1
    watch_d_collapse: bool = True
    _d_wins: int = field(default=0, repr=False)
    _collapsed: int = field(default=0, repr=False)

    def check(self, epoch: int, entry: dict[str, float], *, real_diversity: float) -> None:
        """Inspect one epoch's history entry (``d_loss``, ``g_loss``, ``d_real``, ...)."""
        for key in ("d_loss", "g_loss", "d_real", "d_fake"):
            value = entry.get(key)
            if value is not None and not math.isfinite(value):
                raise TrainingError(
                    f"training diverged at epoch {epoch}: {key} is {value}. Lower the learning "
                    "rate (gan.optimizer.lr), use another loss, or set gan.amp = \"off\"; the "
                    "last good checkpoint is kept (or start over without resuming)."
                )
        if self.watch_d_collapse:
            d_wins = entry["d_loss"] < self.d_floor and entry["g_loss"] > self.g_ceiling
            self._d_wins = self._d_wins + 1 if d_wins else 0
            if self._d_wins >= self.patience:
                raise TrainingError(
                    f"training failed at epoch {epoch}: the discriminator loss fell to "
                    f"{entry['d_loss']:.2g} while the generator loss rose to "
                    f"{entry['g_loss']:.3g} for {self._d_wins} epochs (D wins, G gets no "
                    "gradient). Try label smoothing (gan.loss.real_label = 0.9), a spectral-norm "
                    "discriminator, or a lower discriminator learning rate (gan.d_optimizer)."
                )
        diversity = entry.get("diversity")
        if diversity is None or real_diversity <= 0 or epoch <= self.warmup:
            return
        ratio = diversity / real_diversity
        self._collapsed = self._collapsed + 1 if ratio < self.diversity_ratio else 0
        if self._collapsed >= self.patience:
            raise TrainingError(
                f"mode collapse at epoch {epoch}: fixed-noise samples are nearly identical "
                f"(mean pairwise distance {ratio:.1%} of the real images', below "
                f"{self.diversity_ratio:.0%}, for {self._collapsed} epochs). Try another loss "
                "(hinge, wgan_gp), spectral norm, or a lower learning rate."
            )

    def state(self) -> dict[str, int]:
        """Counters to store in a checkpoint so a resumed run continues the same checks."""
        return {"d_wins": self._d_wins, "collapsed": self._collapsed}

    def load_state(self, state: dict[str, int]) -> None:
        """Restore counters saved by :meth:`state`."""
        self._d_wins = int(state.get("d_wins", 0))
        self._collapsed = int(state.get("collapsed", 0))
