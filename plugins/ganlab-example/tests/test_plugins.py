"""This package's plugins against ganlab's contract suites: a few lines each."""

from __future__ import annotations

from ganlab.testing import (
    ClassifierContract,
    DiscriminatorContract,
    FilterContract,
    GanAugmentationContract,
    LossContract,
    OptimizerContract,
    SynthesisContract,
)


class TestSharpen(FilterContract):
    plugin = "sharpen"
    params = {"amount": 1.5}


class TestNAdam(OptimizerContract):
    plugin = "nadam"
    params = {"lr": 1e-2}


class TestTinyMLP(ClassifierContract):
    plugin = "tiny_mlp"
    params = {"hidden": 16}


class TestSoftplus(LossContract):
    plugin = "softplus"


class TestGanStem(ClassifierContract):  # also checks GAN pretraining from a tiny GAN checkpoint
    plugin = "gan_stem"
    params = {"width": 8}


class TestAdaptiveFlip(GanAugmentationContract):  # also checks AdaptiveGanAugmentation
    plugin = "adaptive_flip"


class TestPatchProjection(DiscriminatorContract):  # also checks DiscriminatorFeatures
    plugin = "patch_projection"
    params = {"width": 8}


class TestBalance(SynthesisContract):  # stages from a tiny GAN: seeded, valid
    plugin = "balance"
    params = {"fraction": 0.5}
