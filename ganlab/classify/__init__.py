"""Classifier training (real, real + synthetic, synthetic), evaluation, prediction, floors."""

from __future__ import annotations

from ganlab.classify._checkpoint import load_classifier, save_classifier
from ganlab.classify._evaluate import Prediction, evaluate_folder, predict_images
from ganlab.classify._features import classifier_backbone, model_backbone, penultimate_features
from ganlab.classify._final import (
    merge_train_val,
    read_refit_base,
    refit_classifier,
    train_fold_ensemble,
)
from ganlab.classify._floors import trivial_floors
from ganlab.classify._fold_model import FoldEnsemble
from ganlab.classify._histogram import (
    ColourHistogramClassifier,
    colour_histogram_classifier,
    colour_histograms,
)
from ganlab.classify._pretrain import gan_checkpoint_param, with_gan_checkpoint
from ganlab.classify._run import classifier_data, classify_from_config, floors_from_config
from ganlab.classify._synthetic import (
    Stage,
    SynthesisRun,
    build_strategy,
    plan_stages,
    synthesis_ref,
    synthesize,
    uses_gan,
)
from ganlab.classify._train import MONITORS, ClassifyResult, real_recipe, train_classifier
from ganlab.classify._trainer import ClassifierTrainer

__all__ = [
    "MONITORS",
    "ClassifierTrainer",
    "ColourHistogramClassifier",
    "ClassifyResult",
    "FoldEnsemble",
    "Prediction",
    "Stage",
    "SynthesisRun",
    "build_strategy",
    "classifier_backbone",
    "classifier_data",
    "classify_from_config",
    "colour_histogram_classifier",
    "colour_histograms",
    "evaluate_folder",
    "floors_from_config",
    "gan_checkpoint_param",
    "load_classifier",
    "merge_train_val",
    "model_backbone",
    "penultimate_features",
    "plan_stages",
    "predict_images",
    "read_refit_base",
    "real_recipe",
    "refit_classifier",
    "save_classifier",
    "synthesis_ref",
    "synthesize",
    "train_classifier",
    "train_fold_ensemble",
    "trivial_floors",
    "uses_gan",
    "with_gan_checkpoint",
]
