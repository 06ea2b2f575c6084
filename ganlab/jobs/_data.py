"""The data job: prepare a study's images (ingest, split, filter chain, cache)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ganlab.data import prepare_data as prepare
from ganlab.study import StudyLayout
from ganlab.study.events import DataReady, EventFn

if TYPE_CHECKING:
    from ganlab.config import Config
    from ganlab.data import PreparedData
    from ganlab.study import RunContext


def prepare_data(cfg: Config, ctx: RunContext | None = None, *, work_dir: Path | None = None,
                 fold: int | None = None) -> PreparedData:
    """Prepare ``cfg``'s data (cached) and write or reuse its split manifest.

    Preparing data needs no device, so the context is optional: it gives the study folder and
    the progress sink, which gets one :class:`~ganlab.study.events.DataReady`.

    Args:
        cfg: The loaded study file.
        ctx: The job's context (default: the study folder of ``cfg``, no progress).
        work_dir: Where the split and the cache live (default: the study folder).
        fold: The validation fold (``data.split.folds >= 2``).
    """

    if work_dir is None:
        layout = ctx.layout if ctx is not None and ctx.layout is not None else (
            StudyLayout.of_config(cfg))
        work_dir = layout.root
    data = prepare(cfg.data, base_dir=Path(cfg.base_dir), work_dir=work_dir, fold=fold)
    data_ready(data, ctx.on_event if ctx is not None else None)
    return data


def data_ready(data: PreparedData, on_event: EventFn | None) -> None:
    """Tell ``on_event`` what preparing the data found (counts, skipped files)."""
    if on_event is None:
        return
    p = data.protocol
    on_event(DataReady(p.get("files", 0), p.get("usable", 0), dict(p.get("skipped") or {}),
                       p.get("skipped_list"), bool(p.get("cache_hit"))))
