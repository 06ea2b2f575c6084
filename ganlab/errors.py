"""User-facing error types.

Every mistake a user can make (a misspelled plugin, a bad study file, a missing folder) raises a
:class:`GanlabError` subclass whose message says what is wrong, where, and how to fix it. The CLI
prints that message and exits with status 1, without a traceback.
"""

from __future__ import annotations


class GanlabError(Exception):
    """Base class of every error that ganlab reports to the user without a traceback.

    Args:
        message: What is wrong (and where, when no ``path`` says it).
        path: The config path (``study.device``) or argument name (``out_dir``) at fault, or
            several; the message is shown as ``"<path>: <message>"``. The CLI maps paths to its
            command-line options (``--device``), so library messages never name a flag.
        hint: How to fix it, appended to the message.
    """

    def __init__(self, message: str = "", *, path: str | tuple[str, ...] | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.paths: tuple[str, ...] = (path,) if isinstance(path, str) else tuple(path or ())
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.paths[0]}: {self.message}" if len(self.paths) == 1 else self.message
        return f"{text}; {self.hint}" if self.hint else text

    def __reduce__(self) -> tuple:  # keep path and hint across processes (pickling)
        return _rebuild, (type(self), self.message, self.paths, self.hint)


def _rebuild(cls: type[GanlabError], message: str, paths: tuple[str, ...],
             hint: str | None) -> GanlabError:
    return cls(message, path=paths, hint=hint)


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


class StateFileError(GanlabError):
    """A file ganlab wrote earlier (``study.json``, ``metrics.json``, a cache) cannot be read."""


class GanlabWarning(UserWarning):
    """Something was wrong and ganlab recovered (e.g. a broken cache entry was rebuilt)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the CLI's main thread so that it unwinds like Ctrl-C."""
