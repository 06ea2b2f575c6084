"""GAN training: pure ``d_step`` / ``g_step``, the trainer, checkpoints and sampling."""

from __future__ import annotations

from ganlab.gan._aux import class_head_probabilities
from ganlab.gan._checkpoint import (
    load_discriminator,
    load_generator,
    read_checkpoint,
    save_checkpoint,
)
from ganlab.gan._collapse import ClassCollapseDetector
from ganlab.gan._export import sample_to_folder
from ganlab.gan._monitor import HealthMonitor
from ganlab.gan._rng import capture_rng, restore_rng
from ganlab.gan._sampling import (
    fixed_inputs,
    generate,
    mean_pairwise_distance,
    save_grid,
    save_images,
    to_uint8,
)
from ganlab.gan._steps import d_step, g_step
from ganlab.gan._trainer import GanResult, GanTrainer, train_gan

__all__ = [
    "ClassCollapseDetector",
    "GanResult",
    "GanTrainer",
    "HealthMonitor",
    "capture_rng",
    "class_head_probabilities",
    "d_step",
    "fixed_inputs",
    "g_step",
    "generate",
    "load_discriminator",
    "load_generator",
    "mean_pairwise_distance",
    "read_checkpoint",
    "restore_rng",
    "save_checkpoint",
    "save_grid",
    "sample_to_folder",
    "save_images",
    "to_uint8",
    "train_gan",
]
