"""User-facing error types.

Every mistake a user can make (a misspelled plugin, a bad study file, a missing folder) raises a
:class:`GanlabError` subclass whose message says what is wrong, where, and how to fix it. The CLI
prints that message and exits with status 1, without a traceback.
"""

from __future__ import annotations


class GanlabError(Exception):
    """Base class of every error that ganlab reports to the user without a traceback."""


class ConfigError(GanlabError):
    """A study file or option is invalid."""


class PluginError(GanlabError):
    """A plugin is unknown, ambiguous, broken, or was called with bad parameters."""


class DataError(GanlabError):
    """An image set is missing, empty, or unusable."""


class TrainingError(GanlabError):
    """Training stopped for a reason the user should see (divergence, collapse, bad resume)."""


class WeightsError(GanlabError):
    """Pretrained weights were requested but are not available offline."""


class GanlabWarning(UserWarning):
    """Something was wrong and ganlab recovered (e.g. a broken cache entry was rebuilt)."""
