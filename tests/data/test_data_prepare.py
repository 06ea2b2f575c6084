"""prepare_data and load_image_folder end to end on tiny sets."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch

from ganlab.config import config_from_dict
from ganlab.data import ImageSet, load_image_folder, prepare_data
from ganlab.errors import ConfigError, DataError


def _data_cfg(**data):
    return config_from_dict({"study": {"name": "t"}, "data": {"workers": 1, **data}}).data


def test_synthetic_root_is_generated_and_prepared(tmp_path: Path) -> None:
    cfg = _data_cfg(root="gen/synth", synth={"n": 30, "seed": 1, "image_size": 24},
                    image_size=16, filters=[{"name": "bilateral"}, {"name": "gamma"}],
                    positive_class="malignant")
    data = prepare_data(cfg, base_dir=tmp_path, work_dir=tmp_path / "study")
    assert (tmp_path / "gen" / "synth" / "benign").is_dir()
    assert data.class_names == ("benign", "malignant")
    sets = (data.train, data.val, data.test)
    assert sum(len(s) for s in sets) == 30
    ids = [i for s in sets for i in s.ids]
    assert len(set(ids)) == 30 and all(i.split("/")[0] in data.class_names for i in ids)
    for s in sets:
        assert s.images.dtype == torch.uint8 and s.images.shape[1:] == (3, 16, 16)
        assert s.labels.dtype == torch.int64
        assert all((lab == 1) == i.startswith("malignant/") for lab, i in zip(s.labels, s.ids,
                                                                           strict=True))
        assert len(s.paths) == len(s)
    x = data.train.as_float("cpu")
    assert x.dtype == torch.float32 and -1.0 <= x.min() and x.max() <= 1.0
    assert data.protocol["filters"][0]["params"] == {"d": 9, "sigma_color": 75.0,
                                                     "sigma_space": 75.0}
    assert data.protocol["cache_hit"] is False
    assert prepare_data(cfg, base_dir=tmp_path, work_dir=tmp_path / "study").protocol["cache_hit"]


def test_manifest_with_groups(synth_root: Path, tmp_path: Path) -> None:
    manifest = synth_root / "list.csv"
    files = sorted(synth_root.rglob("*.png"))
    with manifest.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "label", "group"])
        for k, f in enumerate(files):
            writer.writerow([f.relative_to(synth_root).as_posix(), f.parent.name,
                             "patient-a" if k < 10 else ""])
    data = prepare_data(_data_cfg(manifest=str(manifest), image_size=16), base_dir=tmp_path,
                        work_dir=tmp_path / "w")
    sides = [name for name, s in (("train", data.train), ("val", data.val), ("test", data.test))
             for i in s.ids if i in {f.relative_to(synth_root).as_posix() for f in files[:10]}]
    assert len(sides) == 10 and len(set(sides)) == 1


def test_user_errors(tmp_path: Path, synth_root: Path) -> None:
    with pytest.raises(ConfigError, match="no images configured"):
        prepare_data(_data_cfg(), base_dir=tmp_path, work_dir=tmp_path)
    with pytest.raises(ConfigError, match="not both"):
        prepare_data(_data_cfg(root="a", manifest="b.csv"), base_dir=tmp_path, work_dir=tmp_path)
    with pytest.raises(DataError, match="no such folder"):
        prepare_data(_data_cfg(root="missing"), base_dir=tmp_path, work_dir=tmp_path)
    with pytest.raises(DataError, match="positive class 'melanoma'"):
        prepare_data(_data_cfg(root=str(synth_root), positive_class="melanoma"),
                     base_dir=tmp_path, work_dir=tmp_path)
    for f in (synth_root / "benign").iterdir():
        f.write_bytes(b"")
    with pytest.raises(DataError, match="class 'benign' has no usable image"):
        prepare_data(_data_cfg(root=str(synth_root)), base_dir=tmp_path, work_dir=tmp_path)


def test_load_image_folder(synth_root: Path) -> None:
    images = load_image_folder(synth_root, filters=[], image_size=20, positive_class="benign")
    assert isinstance(images, ImageSet) and len(images) == 40
    assert images.class_names == ("malignant", "benign")
    assert images.counts() == {"malignant": 20, "benign": 20}
    assert images.images.shape == (40, 3, 20, 20)


def test_skipped_files_are_listed_and_progress_is_reported(odd_root: Path, tmp_path: Path,
                                                            synth_root: Path) -> None:
    import csv
    import shutil

    for cls in ("benign", "malignant"):  # enough usable images to split, plus the odd ones
        for i, f in enumerate(sorted((synth_root / cls).iterdir())[:8]):
            shutil.copy(f, odd_root / cls / f"synth_{i}{f.suffix}")
    calls: list[tuple[int, int]] = []
    data = prepare_data(_data_cfg(root=str(odd_root), image_size=16),
                        base_dir=tmp_path, work_dir=tmp_path / "study",
                        progress=lambda done, total: calls.append((done, total)))
    p = data.protocol
    listed = list(csv.DictReader(open(p["skipped_list"])))
    assert len(listed) == sum(p["skipped"].values()) > 0
    assert all(Path(r["path"]).name.startswith("skip_") and r["reason"] for r in listed)
    assert calls[-1] == (p["files"], p["files"])
