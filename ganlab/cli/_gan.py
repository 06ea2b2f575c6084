"""`ganlab gan` commands: train a GAN from a study file, sample a checkpoint, score FID/KID."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import TracebackType
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ganlab.cli._app import (
    PROFILE_HELP,
    LogFormat,
    LogFormatOpt,
    console,
    is_plain,
    make_app,
    print_skipped,
)
from ganlab.cli._modules import lazy
from ganlab.cli._options import SetOption, load_study
from ganlab.errors import WeightsError
from ganlab.io import atomic_write_json

app = make_app("Train GANs, sample checkpoints and score generated images (FID/KID, "
               "precision/recall/density/coverage, TSTR).")

DeviceOption = Annotated[
    str | None, typer.Option("--device", help="auto, cpu or cuda (default: study.device).")
]


def say_inception_notice(fid_cfg: object) -> None:
    """Print once, at the start of a run, that Inception FID/KID will be skipped (if so)."""
    notice = lazy.metrics.inception_notice(fid_cfg)
    if notice:
        console.print(f"[yellow]note[/]: {notice}", highlight=False)


@app.command("train")
def train(
    study_file: Annotated[Path, typer.Argument(help="The study file (TOML).")],
    resume: Annotated[
        bool, typer.Option("--resume/--no-resume", help="Continue an existing checkpoint.")
    ] = True,
    out: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default: <output>/<study>/gan).")
    ] = None,
    device: DeviceOption = None,
    profile: Annotated[
        str | None, typer.Option("--profile", "-p", help=PROFILE_HELP)
    ] = None,
    epochs: Annotated[
        int | None, typer.Option("--epochs", min=1, help="Override gan.epochs.")
    ] = None,
    log_format: LogFormatOpt = LogFormat.auto,
    sets: SetOption = None,
) -> None:
    """Train the study's GAN on its training split; resumable after a kill."""
    cfg = load_study(study_file, profile=profile, sets=sets,
                     extra=[("gan.epochs", epochs)] if epochs else None)
    plain = is_plain(log_format, console)  # a log file: one line per epoch
    ctx = lazy.jobs.RunContext.from_config(cfg, device=device,
                                           on_event=GanLog(console, plain=plain))
    say_inception_notice(cfg.gan.fid)
    if plain:
        job = lazy.jobs.train_gan(cfg, ctx, out_dir=out, resume=resume)
    else:
        with GanProgress(console) as progress:
            job = lazy.jobs.train_gan(cfg, ctx, out_dir=out, resume=resume,
                                      progress=progress.update)
    result = job.gan
    last = result.history[-1] if result.history else {}
    console.print(
        f"[green]done[/]: {len(result.history)} epochs, last D loss "
        f"{last.get('d_loss', float('nan')):.3f}, G loss {last.get('g_loss', float('nan')):.3f}, "
        f"{last.get('img_per_s', 0):.1f} img/s on {job.device} in "
        f"{result.metrics['precision']['amp']} ({result.metrics['precision']['reason']})\n"
        f"checkpoint: {result.checkpoint}\n"
        f"sample grids: {len(result.sample_grids)} in {result.checkpoint.parent / 'samples'}\n"
        f"metrics: {json.dumps(result.metrics)[:300]}",
        highlight=False,
    )


@app.command("sample")
def sample(
    checkpoint: Annotated[Path, typer.Argument(help="A GAN checkpoint (checkpoint.pt).")],
    n: Annotated[int, typer.Option("-n", min=1, help="Images per class.")] = 64,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("samples"),
    label: Annotated[
        str | None, typer.Option("--label", help="Only this class (conditional GANs).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Noise seed.")] = 0,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")] = "cpu",
) -> None:
    """Write generated PNG images from a checkpoint (no training data needed)."""
    torch_device = lazy.jobs.RunContext.local(device=device).device
    written = lazy.gan.sample_to_folder(checkpoint, n, out_dir=out, label=label, seed=seed,
                                        device=torch_device)
    for name, paths in written.items():
        where = paths[0].parent if paths else out
        console.print(f"[green]wrote[/] {len(paths)} images{f' of {name}' if name else ''} "
                      f"to {where}", highlight=False)


@app.command("fid")
def fid(
    real_dir: Annotated[Path, typer.Argument(help="Folder of real images (searched deeply).")],
    fake_dir: Annotated[Path, typer.Argument(help="Folder of generated images.")],
    inception_weights: Annotated[
        Path | None,
        typer.Option("--inception-weights", help="inception-2015-12-05.pt (or its folder)."),
    ] = None,
    backbone: Annotated[
        str, typer.Option("--backbone", help="inception, or classifier (not comparable).")
    ] = "inception",
    classifier_ckpt: Annotated[
        Path | None, typer.Option("--classifier-ckpt", help="Classifier of --backbone classifier.")
    ] = None,
    kid: Annotated[bool, typer.Option("--kid/--no-kid", help="Also compute KID.")] = True,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")] = "cpu",
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the result with its protocol.")
    ] = None,
) -> None:
    """FID (and KID) between two image folders, printed with its measurement protocol."""
    torch_device = lazy.jobs.RunContext.local(device=device).device
    clf = None
    if backbone == "classifier":
        if classifier_ckpt is None:
            raise WeightsError("--backbone classifier needs --classifier-ckpt PATH (the model.pt "
                               "written by `ganlab classify train`)")

        clf = lazy.classify.classifier_backbone(classifier_ckpt, device=torch_device)
    net = lazy.metrics.build_backbone(backbone, inception_weights=inception_weights,
                                      classifier=clf, device=torch_device)
    result = lazy.metrics.compute_fid(real_dir, fake_dir, backbone=net, kid=kid)
    table = Table(title=f"FID {real_dir} vs {fake_dir}")
    table.add_column("field")
    table.add_column("value", overflow="fold")
    for key in ("fid", "kid"):
        if key in result:
            table.add_row(key.upper(), f"{result[key]:.4f}")
    for key, value in result["fid_protocol"].items():
        table.add_row(key, str(value))
    console.print(table)
    if json_out is not None:
        atomic_write_json(json_out, result)


@app.command("metrics")
def metrics(
    checkpoint: Annotated[Path, typer.Argument(help="A GAN checkpoint (checkpoint.pt).")],
    study_file: Annotated[
        Path, typer.Option("--study", help="The study file whose data the GAN was trained on.")
    ],
    profile: Annotated[
        str | None, typer.Option("--profile", "-p", help=PROFILE_HELP)
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Output folder (default: next to the checkpoint, metrics/)."),
    ] = None,
    feature_ckpt: Annotated[
        Path | None,
        typer.Option("--feature-ckpt", help="Classifier model.pt to take features from "
                     "(default: one trained on the real train side, cached per study)."),
    ] = None,
    tstr: Annotated[
        bool | None, typer.Option("--tstr/--no-tstr", help="Override gan.metrics.tstr.")
    ] = None,
    device: DeviceOption = None,
    sets: SetOption = None,
) -> None:
    """Offline GAN metrics of a checkpoint: per-class precision/recall/density/coverage, TSTR."""
    cfg = load_study(study_file, profile=profile, sets=sets,
                     extra=[("gan.metrics.tstr", tstr)] if tstr is not None else None)
    ctx = lazy.jobs.RunContext.from_config(cfg, device=device)
    say_inception_notice(cfg.gan.fid)
    with console.status("scoring the GAN (feature net, samples, TSTR classifier)"):
        score = lazy.jobs.score_gan(cfg, ctx, checkpoint=checkpoint, out_dir=out,
                                    feature_checkpoint=feature_ckpt)
    console.print(gan_metrics_table(score.figures))
    if score.figures["collapse"]["reason"]:
        console.print(f"[red]collapse[/]: {score.figures['collapse']['reason']}",
                      highlight=False)
    console.print(f"[green]wrote[/] {score.path}", highlight=False)


def gan_metrics_table(result: dict) -> Table:
    """The per-class figures of :func:`ganlab.study.evaluate_gan` as a rich table."""
    proto = result["protocol"]
    table = Table(title=f"GAN metrics (k = {proto['k']}, {proto['backbone']}, "
                  f"sha256 {proto['weights_sha256'][:12]})")
    columns = ("precision", "recall", "density", "coverage", "fd_classifier")
    table.add_column("class")
    for col in ("prec.", "recall", "density", "cover.", "FD", "div.", "n"):
        table.add_column(col, justify="right")
    table.caption = "div.: sample diversity / the class's real diversity; FD: classifier features"
    rows = [*result["per_class"].items(), ("mean", result["mean"])]
    for name, scores in rows:
        div = result["collapse"]["per_class"].get(name, {}).get("ratio")
        table.add_row(
            name, *(f"{scores[c]:.3f}" if c in scores else "" for c in columns),
            f"{div:.2f}" if div is not None else "", str(scores.get("n_fake", "")),
        )
    if "tstr" in result:
        t = result["tstr"]
        table.caption += (
            f"\nTSTR (train on synthetic, test on real): ROC-AUC {t['roc_auc']['value']:.3f} "
            f"[{t['roc_auc']['ci_low']:.3f}, {t['roc_auc']['ci_high']:.3f}], accuracy "
            f"{t['accuracy']['value']:.3f}; classifier-feature FD {result['fd_classifier']:.2f}"
        )
        if "trtr" in t:
            ref = t["trtr"]["test"]
            table.caption += (
                f"\nTRTR (the same recipe on the real train images): ROC-AUC "
                f"{ref['roc_auc']['value']:.3f} [{ref['roc_auc']['ci_low']:.3f}, "
                f"{ref['roc_auc']['ci_high']:.3f}], accuracy {ref['accuracy']['value']:.3f}"
            )
    return table


class GanProgress:
    """Context manager whose :meth:`update` is the trainer's ``progress`` callback."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("[bold]epoch {task.fields[epoch]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("D {task.fields[d_loss]}  G {task.fields[g_loss]}  {task.fields[rate]}"),
            TimeRemainingColumn(),
            console=console,
        )
        self._task = None
        self._epoch = None
        self._start = 0.0

    def __enter__(self) -> GanProgress:
        self._progress.__enter__()
        return self

    def __exit__(
        self, exc_type: type | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.__exit__(exc_type, exc, tb)

    def update(self, event: dict) -> None:
        """Advance the bar from one trainer step event."""
        epoch = f"{event['epoch']}/{event['epochs']}"
        if epoch != self._epoch:
            if self._task is not None:
                self._progress.remove_task(self._task)
            self._task = self._progress.add_task(
                "", total=event["steps"], epoch=epoch, d_loss="-", g_loss="-", rate=""
            )
            self._epoch, self._start = epoch, time.perf_counter()
        fields: dict[str, str] = {}
        if "d_loss" in event:
            fields = {"d_loss": f"{event['d_loss']:.3f}", "g_loss": f"{event['g_loss']:.3f}"}
        elapsed = time.perf_counter() - self._start
        if elapsed > 0:
            fields["rate"] = f"{event['images'] / elapsed:.1f} img/s"
        self._progress.update(self._task, completed=event["step"], **fields)


class GanLog:
    """The progress sink of ``gan train``: the skipped files of the data and, for log files,
    one timestamped line per epoch."""

    def __init__(self, console: Console, *, plain: bool) -> None:
        self.console, self.plain = console, plain

    def __call__(self, event: Any) -> None:

        if isinstance(event, lazy.events.DataReady):
            print_skipped({"skipped": event.skipped, "files": event.files,
                           "skipped_list": event.skipped_list})
        elif isinstance(event, lazy.events.EpochEnd) and self.plain:
            shown = {k: v for k, v in event.metrics.items() if k != "epoch"}
            self.console.print(f"{time.strftime('%H:%M:%S')} gan epoch {event.epoch}/"
                               f"{event.epochs} {lazy.events.short_metrics(shown, limit=8)}",
                               highlight=False, soft_wrap=True)
