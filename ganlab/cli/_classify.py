"""`ganlab classify` commands: train, eval, predict, floors."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ganlab.cli._app import console, make_app, print_skipped
from ganlab.cli._modules import lazy
from ganlab.cli._options import SetOption, load_study

app = make_app("Train and evaluate benign/malignant classifiers; score trivial floors.")

StudyArg = Annotated[Path, typer.Argument(help="Study file (TOML).")]


class TtaViews(enum.StrEnum):
    """Test-time augmentation views of ``classify eval --tta``."""

    off = "off"
    flips = "flips"
    dihedral = "dihedral"


DeviceOpt = Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")]
ProfileOpt = Annotated[
    str | None, typer.Option("--profile", help="A \\[profiles.NAME] table of the study file.")
]
OutOpt = Annotated[
    Path | None, typer.Option("--out", help="Output folder (default: runs/<study>/classify).")
]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Seed (default: study.seed).")]


def _metrics_table(title: str, metrics: dict[str, Any], splits: list[str]) -> Table:

    table = Table(title=title)
    table.add_column("metric")
    for split in splits:
        table.add_column(f"{split} [95% CI]")
    for m in lazy.metrics.METRICS:
        table.add_row(m, *(lazy.metrics.format_ci(_nan(metrics[s][m])) for s in splits))
    return table


def _nan(entry: dict[str, Any]) -> dict[str, float]:
    return {k: float("nan") if v is None else v for k, v in entry.items()}


def _threshold_line(threshold: dict[str, Any]) -> str:
    return f"threshold: {threshold['method']} = {threshold['value']:.4f}"


@app.command("train")
def train(
    study: StudyArg,
    device: DeviceOpt = "auto",
    profile: ProfileOpt = None,
    out: OutOpt = None,
    seed: SeedOpt = None,
    gan_checkpoint: Annotated[
        Path | None,
        typer.Option("--gan-checkpoint", help="GAN checkpoint for synthetic images and for "
                     "initialising a GAN-pretrained classifier (UsesGanCheckpoint)."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted run from its last "
                           "checkpoint.pt in the output folder (same settings).")
    ] = False,
    refit: Annotated[
        bool, typer.Option("--refit", help="Retrain the validated run in the output folder on "
                           "train + validation for its best epoch count, keeping its threshold "
                           "(written to <out>/refit).")
    ] = False,
    sets: SetOption = None,
) -> None:
    """Train the study's classifier and report every metric with a 95% bootstrap CI.

    With data.split.folds = K >= 2: one model per fold and their average, saved as one
    classifier (model.pt) that `classify eval` loads like any other.
    """
    cfg = load_study(study, profile=profile, sets=sets)
    ctx = lazy.jobs.RunContext.from_config(cfg, device=device)
    with ClassifierProgress(console, cfg.classifier.monitor) as progress:
        result = lazy.jobs.train_classifier(cfg, ctx, out_dir=out, seed=seed,
                                            generator_checkpoint=gan_checkpoint,
                                            progress=progress.update, resume=resume, refit=refit)
    proto = result.metrics["protocol"]
    if proto.get("resumed_at_epoch") is not None:
        console.print(f"resumed after epoch {proto['resumed_at_epoch']}")
    print_skipped(proto.get("data") or {})
    console.print(_metrics_table(_title(proto), result.metrics, ["val", "test"]))
    console.print(_threshold_line(result.metrics["threshold"]))
    console.print(f"checkpoint: {result.checkpoint}\npredictions: {result.predictions}\n"
                  f"metrics: {result.predictions.parent / 'metrics.json'}")


def _title(proto: dict[str, Any]) -> str:
    if proto.get("ensemble"):
        ens = proto["ensemble"]
        return (f"average of {ens['folds']} fold models (best epochs {ens['best_epochs']}; "
                "val: out-of-fold)")
    what = (f"refit on train + val, {proto['epochs_run']} epochs; val is not held out"
            if proto.get("refit") else
            f"best epoch {proto['best_epoch']}/{proto['epochs_run']}")
    return (f"{proto['classifier']['name']} ({proto['mode']}, {what}, "
            f"{proto['train_seconds']:.0f} s)")


class ClassifierProgress:
    """Context manager whose :meth:`update` is the classifier trainer's ``progress`` callback:
    a bar per epoch and one printed line per finished epoch."""

    def __init__(self, console: Console, monitor: str) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._console, self._monitor = console, f"val_{monitor}"
        self._progress = Progress(TextColumn("[bold]classifier epoch {task.fields[epoch]}"),
                                  BarColumn(), MofNCompleteColumn(), console=console,
                                  transient=True)
        self._task: Any = None
        self._epoch = ""

    def __enter__(self) -> ClassifierProgress:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.__exit__(*exc)  # type: ignore[arg-type]

    def update(self, event: dict) -> None:
        """Advance the bar (step events) or print the epoch's line (``end`` events)."""
        epoch = f"{event['epoch']}/{event['epochs']}"
        if event.get("end"):
            self._console.print(
                f"epoch {epoch}: train_loss {event['train_loss']:.4f}  val_loss "
                f"{event['val_loss']:.4f}  {self._monitor} {event[self._monitor]:.4f}  "
                f"{event['img_per_s']:.0f} img/s", highlight=False)
            return
        if epoch != self._epoch:
            if self._task is not None:
                self._progress.remove_task(self._task)
            self._task = self._progress.add_task("", total=event["steps"], epoch=epoch)
            self._epoch = epoch
        self._progress.update(self._task, completed=event["step"])


@app.command("eval")
def evaluate(
    checkpoint: Annotated[Path, typer.Argument(help="Classifier checkpoint (model.pt).")],
    folder: Annotated[Path, typer.Argument(help="Class-per-folder image set to score.")],
    out: Annotated[Path | None, typer.Option("--out", help="Output folder "
                   "(default: <checkpoint folder>/eval-<folder name>).")] = None,
    device: DeviceOpt = "auto",
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="Bootstrap resamples.")] = 1000,
    tta: Annotated[TtaViews | None, typer.Option(
        "--tta", help="Test-time views instead of the checkpoint's: off, flips (3) or dihedral "
        "(the 8 rotations and reflections).")] = None,
) -> None:
    """Score a trained classifier on an image folder it never saw (its own preprocessing)."""
    views = None if tta is None else (False if tta is TtaViews.off else tta.value)
    res = lazy.jobs.evaluate_classifier(lazy.jobs.RunContext.local(device=device),
                                        checkpoint=checkpoint, folder=folder, out_dir=out,
                                        bootstrap=bootstrap, tta=views)
    console.print(_metrics_table(f"{folder} ({res.metrics['protocol']['n']} images)",
                                 res.metrics, ["test"]))
    console.print(_threshold_line(res.metrics["threshold"]))
    console.print(f"written to {res.out_dir}")


@app.command("predict")
def predict(
    checkpoint: Annotated[Path, typer.Argument(help="Classifier checkpoint (model.pt).")],
    images: Annotated[list[Path], typer.Argument(help="Image files.")],
    device: DeviceOpt = "auto",
) -> None:
    """Print each image's probability of the positive class and its predicted class."""
    table = Table()
    table.add_column("image", overflow="fold")
    for col in ("prob_positive", "predicted"):
        table.add_column(col)
    ctx = lazy.jobs.RunContext.local(device=device)
    for p in lazy.jobs.predict_images(ctx, checkpoint=checkpoint, images=images):
        table.add_row(p.path, f"{p.prob_positive:.4f}", p.predicted)
    console.print(table)


@app.command("floors")
def floors(
    study: StudyArg,
    profile: ProfileOpt = None,
    out: OutOpt = None,
    seed: SeedOpt = None,
    sets: SetOption = None,
) -> None:
    """Score the trivial floors (majority class, colour-histogram logistic regression)."""
    cfg = load_study(study, profile=profile, sets=sets)
    ctx = lazy.jobs.RunContext.from_config(cfg, device="cpu")
    results = lazy.jobs.score_floors(cfg, ctx, out_dir=out, seed=seed)
    for name, metrics in results.items():
        console.print(_metrics_table(f"floor: {name}", metrics, ["val", "test"]))
        console.print(_threshold_line(metrics["threshold"]))
        if "model" in metrics:  # scored on new images by `ganlab classify eval MODEL DIR`
            console.print(f"model: {metrics['model']}", highlight=False, soft_wrap=True)
