"""Give a fresh venv the lent GPU machine's packages, as far as this machine has them.

The venv is made without the system site-packages; this links, from the interpreter running it,
each distribution named in benchmarks/gpu_machine_packages.txt (its top-level modules and its
dist-info) into ``VENV/lent-site`` and adds that folder to the venv with a ``.pth`` file. What
the lent machine lacks (optuna, cmaes, clean-fid, imagehash...) is therefore missing here too,
and must come from the carried wheels. Versions are this machine's, not the lent machine's, so
the requirements of this machine's versions come along too (typer 0.29 here needs pydantic,
which the lent machine's typer does not); they are printed.

    python benchmarks/gpu_rehearsal_site.py .rehearsal/venv
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).parent


def machine_packages() -> list[str]:
    lines = (HERE / "gpu_machine_packages.txt").read_text().splitlines()
    return [x.strip() for x in lines if x.strip() and not x.startswith("#")]


def link_distribution(dist: metadata.Distribution, site: Path) -> int:
    """Link the top-level entries of ``dist`` (inside its site-packages) into ``site``."""
    root = Path(dist.locate_file("")).resolve()
    tops = {Path(f).parts[0] for f in dist.files or () if not str(f).startswith("..")}
    made = 0
    for top in sorted(tops):
        src, dst = root / top, site / top
        if top.endswith(".pth") or not src.exists() or dst.exists() or dst.is_symlink():
            continue
        dst.symlink_to(src)
        made += 1
    return made


def requirements(dist: metadata.Distribution) -> list[str]:
    """Names ``dist`` requires here (no extras; markers evaluated for this interpreter)."""
    from packaging.requirements import Requirement

    out = []
    for text in dist.requires or ():
        req = Requirement(text)
        if req.marker is None or ("extra" not in str(req.marker) and req.marker.evaluate()):
            out.append(req.name)
    return out


def main(venv: Path) -> None:
    site = venv / "lent-site"
    site.mkdir(parents=True, exist_ok=True)
    listed = machine_packages()
    found, absent, added = [], [], []
    todo, seen = list(listed), set()
    while todo:
        name = todo.pop(0)
        key = name.lower().replace("_", "-")
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            absent.append(name)
            continue
        link_distribution(dist, site)
        (found if name in listed else added).append(name)
        todo += requirements(dist)
    venv_site = next(venv.glob("lib/python3*/site-packages"))
    (venv_site / "lent-site.pth").write_text(str(site.resolve()) + "\n")
    print(f"{site}: {len(found)} of the lent machine's packages linked from {sys.prefix}; "
          f"required by this machine's versions and linked too: {', '.join(added) or 'none'}; "
          f"not on this machine: {', '.join(absent) or 'none'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
