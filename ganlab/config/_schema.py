"""Typed, frozen configuration of a study: one dataclass per TOML table.

Every field carries one comment; ``docs/study-files.md`` is generated from these comments and
tested against them, so the reference cannot drift from the loader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ganlab.registry import ParamSpec

# Config path of every plugin field -> the plugin kind (registry) it names. A path to a list
# (``data.filters``) holds several plugin tables. Validation and the docs read this table.
PLUGIN_FIELDS: dict[str, str] = {
    "data.filters": "filters",
    "data.augmentations": "augmentations",
    "gan.generator": "generators",
    "gan.discriminator": "discriminators",
    "gan.loss": "losses",
    "gan.optimizer": "optimizers",
    "gan.d_optimizer": "optimizers",
    "gan.augment": "gan_augmentations",
    "gan.metrics.feature_classifier": "classifiers",
    "gan.metrics.tstr_classifier": "classifiers",
    "classifier.model": "classifiers",
    "classifier.optimizer": "optimizers",
    "classifier.synthesis": "synthesis",
    "baselines.models": "classifiers",
    "study.sampler": "samplers",
    "study.pruner": "pruners",
}


@dataclass(frozen=True)
class PluginRef:
    """A plugin by name with its parameters, written ``{name = "bilateral", d = 9}``."""

    name: str  # registered plugin name (see `ganlab plugins list`)
    params: dict[str, Any] = field(default_factory=dict)  # keyword parameters of the plugin

    def as_dict(self) -> dict[str, Any]:
        """The reference in its file form."""
        return {"name": self.name, **self.params}

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> PluginRef:
        """The inverse of :meth:`as_dict`: ``{"name": ..., **params}`` -> ``PluginRef``."""
        return cls(value["name"], {k: v for k, v in value.items() if k != "name"})


@dataclass(frozen=True)
class SynthConfig:
    """The embedded synthetic dermoscopy-like set, generated when ``data.root`` is missing."""

    n: int = 600  # number of images to generate (about half benign, half malignant)
    seed: int = 0  # generator seed; the same seed gives the same images
    image_size: int = 96  # side of the generated square images in pixels
    difficulty: float = 0.0  # 0..1: how much benign and malignant appearances overlap


@dataclass(frozen=True)
class SplitConfig:
    """How images are split into train, validation and test sets."""

    val: float = 0.15  # fraction of images in the validation set (lesion groups kept whole)
    test: float = 0.15  # fraction in the held-out test set (groups kept whole); val + test < 1
    folds: int = 0  # k-fold cross-validation over train+val when >= 2 (0 = a single split)
    group_near_duplicates: bool = True  # keep perceptual-hash near-duplicates on one side
    hash_distance: int = 4  # max Hamming distance (of 64) between pHashes of one lesion group
    seed: int = 0  # split seed; fixed per study so every trial sees the same split


@dataclass(frozen=True)
class DataConfig:
    """The image set, its preprocessing filter chain and the training augmentations."""

    root: str | None = None  # class-per-folder image set; relative paths start at the study file
    manifest: str | None = None  # CSV manifest with columns path,label[,group] instead of root
    synth: SynthConfig | None = None  # generate the embedded synthetic set into root if absent
    positive_class: str = "malignant"  # class treated as positive for recall, AUC, etc.
    image_size: int = 64  # side of the square images fed to GANs and classifiers (<= 2048)
    filters: tuple[PluginRef, ...] = ()  # preprocessing chain, applied once and cached
    augmentations: tuple[PluginRef, ...] = ()  # batch augmentations applied during training
    split: SplitConfig = field(default_factory=SplitConfig)  # train/val/test split
    cache_dir: str | None = None  # preprocessed-image cache (default: <output>/<study>/cache)
    workers: int = 0  # preprocessing threads (0 = one per core)
    follow_symlinks: bool = False  # read files that are symlinks to outside root (else skipped)


@dataclass(frozen=True)
class FidConfig:
    """How generated images are scored against the real training images."""

    enabled: bool = True  # compute FID/KID after GAN training
    backbone: Literal["auto", "inception", "classifier"] = "auto"  # auto: inception if weights
    inception_weights: str | None = None  # else $GANLAB_INCEPTION_WEIGHTS, else clean-fid's cache
    n_fake: int = 1000  # generated images scored
    kid: bool = True  # also compute KID


@dataclass(frozen=True)
class EmaConfig:
    """An exponential moving average of the generator, used for grids, metrics and synthesis."""

    decay: float = 0.999  # EMA decay per generator step, in [0, 1)
    ramp: bool = True  # use min(decay, (1 + step) / (10 + step)) so early samples are not noise


@dataclass(frozen=True)
class R1Config:
    """The R1 gradient penalty on real images (Mescheder et al. 2018), for any loss."""

    gamma: float = 1.0  # weight: gamma / 2 * E ||grad_x D(x)||^2 on (augmented) real images
    every: int = 16  # lazy regularisation: apply every N discriminator steps, scaled by N


@dataclass(frozen=True)
class AuxClassifierConfig:
    """An AC-GAN class head on the discriminator's pooled features (Odena et al. 2017)."""

    weight: float = 1.0  # cross-entropy weight: D's head on real labels, G's fakes on theirs


@dataclass(frozen=True)
class GanMetricsConfig:
    """Offline GAN metrics: per-class precision/recall/density/coverage, TSTR, collapse."""

    enabled: bool = False  # score the GAN after training (on when an objective names one)
    n_per_class: int = 1000  # images per class compared (real train images and generated)
    k: int = 5  # nearest neighbours of precision, recall, density and coverage
    feature_classifier: PluginRef = PluginRef("compact_cnn")  # feature net, real train side
    feature_epochs: int = 10  # epochs of the feature classifier (trained once per study)
    feature_seed: int = 0  # seed of the feature classifier: one ruler for every run and seed
    tstr: bool = True  # train on synthetic only, test on the real test side (gan.tstr_*)
    tstr_classifier: PluginRef = PluginRef("compact_cnn")  # classifier trained for TSTR
    tstr_epochs: int = 10  # epochs of the TSTR classifier (early stopping on real val)
    trtr: bool = True  # also train the TSTR recipe on the real train side: TSTR's reference
    collapse_ratio: float = 0.25  # a class collapses below this share of its real diversity
    collapse: Literal["flag", "fail", "off"] = "flag"  # per-class collapse: record, or fail


CompileMode = bool | Literal["reduce-overhead"]  # gan.compile: off, on, or on with CUDA graphs


@dataclass(frozen=True)
class GanConfig:
    """The GAN: architectures, loss, optimizers and training schedule."""

    enabled: bool = True  # train a GAN in each trial (needed for synthesis and GAN pretraining)
    generator: PluginRef = PluginRef("dcgan")  # generator plugin
    discriminator: PluginRef = PluginRef("dcgan")  # discriminator plugin
    loss: PluginRef = PluginRef("bce")  # GAN loss plugin (bce, hinge, lsgan, wgan_gp)
    optimizer: PluginRef = PluginRef(
        "adam", {"lr": 2e-4, "betas": [0.5, 0.999]}
    )  # generator optimizer, and the discriminator's unless d_optimizer is set
    d_optimizer: PluginRef | None = None  # discriminator optimizer when it differs
    nz: int = 128  # latent size (the paper uses 100 or 128)
    conditional: bool = True  # class-conditional G and D (labelled benign/malignant synthesis)
    batch_size: int = 128  # images per step
    epochs: int = 25  # passes over the training set
    n_critic: int = 1  # discriminator steps per generator step (k)
    sample_every: int = 5  # write a sample grid from fixed noise every N epochs
    checkpoint_every: int = 25  # resumable checkpoint every N epochs (and after the last)
    checkpoint_minutes: float = 10.0  # ... or once this many minutes passed since the last
    amp: Literal["auto", "off", "bf16"] = "auto"  # auto: bf16 if native (GPU sm80+, bf16 CPU)
    channels_last: bool = True  # channels_last conv activations (old "auto", "on": true)
    compile: CompileMode = False  # torch.compile G and D; "reduce-overhead" adds CUDA graphs
    fid: FidConfig = field(default_factory=FidConfig)  # FID/KID protocol
    augment: PluginRef | None = None  # D augmentation of real and fake (diffaugment, ada)
    data_augment: bool = True  # also apply data.augmentations to real batches (the paper does)
    ema: EmaConfig | None = None  # generator EMA, e.g. {decay = 0.999}; off when absent
    r1: R1Config | None = None  # R1 penalty on real images, e.g. {gamma = 1.0, every = 16}
    aux_classifier: AuxClassifierConfig | None = None  # AC-GAN class head, e.g. {weight = 1.0}
    metrics: GanMetricsConfig = field(default_factory=GanMetricsConfig)  # offline GAN metrics


@dataclass(frozen=True)
class ClassifierConfig:
    """The benign-vs-malignant classifier and how it is trained and evaluated."""

    enabled: bool = True  # train a classifier in each trial
    model: PluginRef = PluginRef("compact_cnn")  # classifier plugin
    optimizer: PluginRef = PluginRef("adam", {"lr": 1e-3})  # optimizer plugin
    epochs: int = 30  # maximum epochs (early stopping may end sooner)
    batch_size: int = 64  # images per step
    mode: Literal["real", "real+synthetic", "synthetic"] = "real"  # training data mode
    synthetic_ratio: float = 0.0  # synthetic images per real image in real+synthetic mode
    synthetic_refresh: Literal["once", "epoch"] = "once"  # synthetic set drawn once or each epoch
    synthesis: PluginRef | None = None  # synthesis strategy, e.g. {name = "pretrain", n = 5000}
    refit: bool = False  # then retrain on train+val for the best epoch count into <run>/refit
    patience: int = 5  # early-stopping patience in epochs without improvement (0 = off)
    monitor: str = "roc_auc"  # validation metric watched by early stopping
    class_weighting: Literal["none", "balanced", "sampler"] = "none"  # class imbalance handling
    threshold: Literal["youden", "fixed"] = "youden"  # decision threshold chosen on validation
    fixed_threshold: float = 0.5  # threshold used when threshold = "fixed"
    augment: bool = True  # apply data.augmentations to training batches
    tta: bool | Literal["flips", "dihedral"] = False  # test-time views: true = flips, or dihedral
    bootstrap: int = 1000  # bootstrap resamples for 95% confidence intervals
    schedule: Literal["constant", "cosine"] = "constant"  # learning rate per step: cosine to 0
    warmup_epochs: float = 0.0  # linear learning-rate warm-up from 0 over this many epochs
    label_smoothing: float = 0.0  # cross-entropy label smoothing (0 = hard labels)
    mixup_alpha: float = 0.0  # mixup Beta(alpha, alpha) strength (0 = off; timm Mixup)
    cutmix_alpha: float = 0.0  # cutmix Beta(alpha, alpha) strength (0 = off; timm Mixup)
    mixup_prob: float = 1.0  # probability that a batch is mixed when mixup or cutmix is on
    ema_decay: float = 0.0  # EMA of weights (timm ModelEmaV3), evaluated and saved (0 = off)
    image_size: int | None = None  # input side: data prepared at this size (default data's)
    amp: Literal["auto", "off", "bf16"] = "auto"  # auto: bf16 if native (GPU sm80+, bf16 CPU)
    max_minutes: float | None = None  # stop after the epoch that reaches this training time
    checkpoint_every: int = 5  # resumable checkpoint every N epochs (and after the last)
    checkpoint_minutes: float = 10.0  # ... or once this many minutes passed since the last


@dataclass(frozen=True)
class ObjectiveConfig:
    """One metric the study optimises."""

    metric: str = "val.roc_auc"  # recorded metric: val.<m>, test.<m>, gan.fid, gan.tstr_roc_auc...
    direction: Literal["maximize", "minimize"] = "maximize"  # optimisation direction


@dataclass(frozen=True)
class StudySection:
    """The ``[study]`` table: the Optuna study itself."""

    name: str  # study name; results go to <output>/<name>/
    output: str = "runs"  # output folder, relative to the current directory
    seed: int = 0  # base seed of every trial
    n_trials: int = 10  # trials to run (a resumed study counts completed ones)
    timeout: float | None = None  # stop starting trials after this many seconds
    device: Literal["auto", "cpu", "cuda"] = "auto"  # auto: cuda when available
    objectives: tuple[ObjectiveConfig, ...] = (ObjectiveConfig(),)  # one or more objectives
    sampler: PluginRef = PluginRef("tpe")  # Optuna sampler: tpe, random, grid, cmaes, nsga2, ...
    pruner: PluginRef = PluginRef("median")  # Optuna pruner: median, hyperband, none, ...
    storage: str | None = None  # Optuna storage URL (default: journal file in the output folder)
    heartbeat_seconds: float = 10.0  # heartbeat period (database); 3 missed: trial failed, retried
    tensorboard: bool = False  # TensorBoard log per GAN and classifier run (<run>/tensorboard)
    mlflow: str | None = None  # MLflow tracking URI: each finished trial is logged there


@dataclass(frozen=True)
class AblationConfig:
    """The ``[ablation]`` table: factors varied around the base configuration."""

    factors: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # config path -> levels
    design: Literal["one_at_a_time", "full_factorial"] = "one_at_a_time"  # cells to run
    seeds: tuple[int, ...] = (0, 1, 2)  # every cell is repeated over these seeds


@dataclass(frozen=True)
class BaselinesConfig:
    """The ``[baselines]`` table: classifiers trained on the same split and seeds."""

    models: tuple[PluginRef, ...] = ()  # e.g. {name = "timm", model = "resnet18"}
    seeds: tuple[int, ...] = (0, 1, 2)  # seeds each baseline is trained with
    epochs: int | None = None  # epochs (default: classifier.epochs)


@dataclass(frozen=True)
class EnsembleConfig:
    """The ``[ensemble]`` table: combine the best models."""

    top_k: int = 3  # best completed trials to combine
    include_baselines: bool = False  # add the baselines to the members
    methods: tuple[Literal["soft", "weighted", "stacking"], ...] = (
        "soft",
        "weighted",
        "stacking",
    )  # combination rules, each fitted on validation predictions only


@dataclass(frozen=True)
class Config:
    """A whole study file."""

    study: StudySection  # the Optuna study
    data: DataConfig = field(default_factory=DataConfig)  # images, filters, augmentations, split
    gan: GanConfig = field(default_factory=GanConfig)  # GAN
    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)  # classifier
    search: dict[str, ParamSpec | Literal["declared"]] = field(
        default_factory=dict
    )  # config path -> search spec, or "declared" for the plugin's own space
    ablation: AblationConfig | None = None  # ablation design
    baselines: BaselinesConfig | None = None  # baseline classifiers
    ensemble: EnsembleConfig | None = None  # ensemble of the best models
    source: str = ""  # the file this was loaded from (set by the loader)
    base_dir: str = "."  # folder that relative data paths start from (set by the loader)
    profile: str | None = None  # the profile applied (set by the loader)
    overrides: tuple[tuple[str, Any], ...] = ()  # (path, value) applied last (set by the loader)


# Fields of Config the loader fills in; never written in (or read from) a study file.
LOADER_FIELDS = ("source", "base_dir", "profile", "overrides")
