"""`ganlab gan` commands: train a GAN from a study file, sample a checkpoint, score FID/KID."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import TracebackType
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ganlab.cli._app import PROFILE_HELP, console, make_app
from ganlab.cli._options import SetOption, load_study

app = make_app("Train GANs, sample checkpoints and score generated images (FID/KID).")

DeviceOption = Annotated[
    str | None, typer.Option("--device", help="auto, cpu or cuda (default: study.device).")
]


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
    sets: SetOption = None,
) -> None:
    """Train the study's GAN on its training split; resumable after a kill."""
    from ganlab.config import config_record
    from ganlab.data import build_augmentation, prepare_data
    from ganlab.device import resolve_device
    from ganlab.gan import train_gan
    from ganlab.io import atomic_write_json

    cfg = load_study(study_file, profile=profile, sets=sets,
                     extra=[("gan.epochs", epochs)] if epochs else None)
    torch_device = resolve_device(device or cfg.study.device)
    study_dir = Path(cfg.study.output) / cfg.study.name
    data = prepare_data(cfg.data, base_dir=Path(cfg.base_dir), work_dir=study_dir)
    out_dir = out or study_dir / "gan"
    atomic_write_json(out_dir / "study-config.json", config_record(cfg))
    with GanProgress(console) as progress:
        result = train_gan(
            cfg.gan, data.train, out_dir=out_dir, device=torch_device,
            seed=cfg.study.seed, augment=build_augmentation(cfg.data.augmentations),
            resume=resume, progress=progress.update,
        )
    last = result.history[-1] if result.history else {}
    console.print(
        f"[green]done[/]: {len(result.history)} epochs, last D loss "
        f"{last.get('d_loss', float('nan')):.3f}, G loss {last.get('g_loss', float('nan')):.3f}, "
        f"{last.get('img_per_s', 0):.1f} img/s on {torch_device}\n"
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
    from ganlab.device import resolve_device
    from ganlab.gan import sample_to_folder

    written = sample_to_folder(checkpoint, n, out_dir=out, label=label, seed=seed,
                               device=resolve_device(device))
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
    from ganlab.device import resolve_device
    from ganlab.io import atomic_write_json
    from ganlab.metrics import build_backbone, compute_fid

    torch_device = resolve_device(device)
    net = build_backbone(backbone, inception_weights=inception_weights,
                         classifier_checkpoint=classifier_ckpt, device=torch_device)
    result = compute_fid(real_dir, fake_dir, backbone=net, kid=kid)
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
