"""Where a study keeps its files: one folder per study under the output folder.

```
runs/<study>/
  optuna.journal        Optuna journal storage (the default storage)
  study.json            the study file's resolved config and the storage URL
  trials/<number>/      one trial: config.json, metrics.json, predictions.csv, error.log, gan/, ...
  artifacts/            optuna-dashboard artifact store (sample grids, ROC curves)
  ablation/<cell>/seed-<s>/   ablation runs;  baselines/<model>/seed-<s>/   baseline runs
  gan-cache/<key>/      GANs shared by ablation cells and baselines with the same GAN settings
  ensemble/             ensemble results;  report/  index.html and report.md
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ganlab.config import Config, attribute
from ganlab.errors import ConfigError, GanlabError

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def check_study_name(name: str) -> str:
    """Reject study names that cannot be folder names."""
    if not _NAME_RE.match(name):
        raise ConfigError(
            f"study.name: {name!r} cannot be used as a folder name; use letters, digits, "
            "'_', '-' and '.', starting with a letter or digit"
        )
    return name


@dataclass(frozen=True)
class StudyLayout:
    """Paths of one study's files (nothing is created until asked)."""

    root: Path

    @classmethod
    def of(cls, name: str, output: str | Path = "runs") -> StudyLayout:
        """The layout of study ``name`` under ``output``."""
        return cls(Path(output) / check_study_name(name))

    @classmethod
    def of_config(cls, cfg: Config) -> StudyLayout:
        """The layout of ``cfg``'s study; a bad ``study.name`` raises the error of
        :func:`~ganlab.study.check_study` (naming the study file and any ``--set`` behind it)."""
        try:
            check_study_name(cfg.study.name)
        except GanlabError as exc:
            raise attribute(type(exc)(f"{cfg.source or '<config>'}: {exc}"),
                            cfg.overrides) from None
        return cls(Path(cfg.study.output) / cfg.study.name)

    @property
    def journal(self) -> Path:
        return self.root / "optuna.journal"

    @property
    def study_json(self) -> Path:
        return self.root / "study.json"

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    @property
    def report(self) -> Path:
        return self.root / "report"

    @property
    def ablation(self) -> Path:
        return self.root / "ablation"

    @property
    def baselines(self) -> Path:
        return self.root / "baselines"

    @property
    def ensemble(self) -> Path:
        return self.root / "ensemble"

    @property
    def gan_cache(self) -> Path:
        return self.root / "gan-cache"

    def trial_dir(self, number: int) -> Path:
        """Folder of trial ``number``."""
        return self.root / "trials" / f"{number:04d}"
