"""Image sets: ingestion, validation, near-duplicate groups, splits, filter cache, synthesis.

The interface other packages use (see ``docs/architecture.md``): :func:`prepare_data`,
:class:`ImageSet`, :class:`PreparedData`, :func:`build_filter_chain`,
:func:`build_augmentation` and :func:`load_image_folder`.
"""

from __future__ import annotations

from ganlab.data._chain import (
    build_augmentation,
    build_filter_chain,
    build_filter_steps,
    resolved_filters,
    run_steps,
)
from ganlab.data._decode import Decoded, decode_bytes, decode_file
from ganlab.data._inspect import DEFAULT_HASH_DISTANCE, InspectReport, inspect_folder
from ganlab.data._prepare import (
    check_data_source,
    load_image_folder,
    prepare_data,
    resolve_sources,
)
from ganlab.data._preprocess import Scan, scan_sources
from ganlab.data._preview import preview_grid
from ganlab.data._sources import Source, SourceList, list_folder, list_manifest
from ganlab.data._synth import synthesize
from ganlab.data._types import ImageSet, PreparedData

__all__ = [
    "check_data_source",
    "DEFAULT_HASH_DISTANCE",
    "Decoded",
    "ImageSet",
    "InspectReport",
    "PreparedData",
    "Scan",
    "Source",
    "SourceList",
    "build_augmentation",
    "build_filter_chain",
    "build_filter_steps",
    "decode_bytes",
    "decode_file",
    "inspect_folder",
    "list_folder",
    "list_manifest",
    "load_image_folder",
    "prepare_data",
    "preview_grid",
    "resolve_sources",
    "resolved_filters",
    "run_steps",
    "scan_sources",
    "synthesize",
]
