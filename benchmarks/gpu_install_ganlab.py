"""Register this checkout's ganlab in a folder on ``PYTHONPATH``, with no build and no network.

ganlab finds its plugins, built-ins included, through entry points, so importing the source is
not enough: the interpreter must see a ``ganlab-<version>.dist-info`` holding
``entry_points.txt``. This writes that folder (METADATA, entry points, the ``ganlab`` script's
entry) from pyproject.toml into TARGET, and a ``bin/ganlab`` launcher. With
``PYTHONPATH=TARGET:REPO:REPO/plugins`` the checkout's code is what runs (an editable install
without pip, setuptools or wheel, which a bare machine may lack or hold in another version).

    python benchmarks/gpu_install_ganlab.py /tmp/site
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def write_dist_info(target: Path) -> Path:
    """Write ``ganlab-<version>.dist-info`` for the checkout's pyproject.toml into ``target``."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    info = target / f"{project['name']}-{project['version']}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
        f"Summary: {project['description']}\n")
    groups = {"console_scripts": project.get("scripts", {}), **project["entry-points"]}
    lines = []
    for group, entries in groups.items():
        lines += [f"[{group}]", *(f"{k} = {v}" for k, v in entries.items()), ""]
    (info / "entry_points.txt").write_text("\n".join(lines))
    (info / "INSTALLER").write_text("benchmarks/gpu_install_ganlab.py\n")
    (info / "RECORD").write_text("")
    launcher = target / "bin" / "ganlab"
    launcher.parent.mkdir(exist_ok=True)
    launcher.write_text(f"#!{sys.executable}\nfrom ganlab.cli import main\nmain()\n")
    launcher.chmod(0o755)
    return info


if __name__ == "__main__":
    print(write_dist_info(Path(sys.argv[1])))
