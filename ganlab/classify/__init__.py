"""Classifier training (real, real + synthetic, synthetic), evaluation, prediction, floors."""

from __future__ import annotations

from ganlab.classify._checkpoint import load_classifier, save_classifier
from ganlab.classify._evaluate import Prediction, evaluate_folder, predict_images
from ganlab.classify._features import classifier_backbone, model_backbone, penultimate_features
from ganlab.classify._floors import trivial_floors
from ganlab.classify._histogram import (
    ColourHistogramClassifier,
    colour_histogram_classifier,
    colour_histograms,
)
from ganlab.classify._pretrain import gan_checkpoint_param, with_gan_checkpoint
from ganlab.classify._run import classifier_data, classify_from_config, floors_from_config
from ganlab.classify._synthetic import (
    SyntheticRefresh,
    TrainingSet,
    build_training_set,
    synthesize,
)
from ganlab.classify._train import MONITORS, ClassifyResult, train_classifier
from ganlab.classify._trainer import ClassifierTrainer

__all__ = [
    "MONITORS",
    "ClassifierTrainer",
    "ColourHistogramClassifier",
    "ClassifyResult",
    "Prediction",
    "SyntheticRefresh",
    "TrainingSet",
    "build_training_set",
    "classifier_backbone",
    "classifier_data",
    "classify_from_config",
    "colour_histogram_classifier",
    "colour_histograms",
    "evaluate_folder",
    "floors_from_config",
    "gan_checkpoint_param",
    "load_classifier",
    "model_backbone",
    "penultimate_features",
    "predict_images",
    "save_classifier",
    "synthesize",
    "train_classifier",
    "trivial_floors",
    "with_gan_checkpoint",
]
