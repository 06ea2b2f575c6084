"""Atomic writes, reading state files back, the one cross-process file lock, and a quick
network probe.

Atomic writes: a file is either its old version or its complete new one, even after a kill.
:func:`read_state` is how every JSON or CSV file ganlab wrote is read back: a corrupt one is
one line naming it, or set aside and rebuilt. :func:`file_lock` is the lock every package uses
(preprocessing cache, split, shared GAN, Optuna journal). :func:`reachable` tells in a few
seconds whether a download can start, so an offline machine gets a one-line answer instead of
a library's retry loop.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import socket
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from filelock import FileLock

from ganlab.errors import GanlabError, GanlabWarning, StateFileError

_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


def disk_fault(exc: BaseException) -> str | None:
    """One line for a full disk or a permission error, naming the path; ``None`` otherwise."""
    if not isinstance(exc, OSError) or exc.errno not in _DISK_ERRNOS:
        return None
    where = exc.filename or "a file"
    hint = {errno.ENOSPC: "free some space or write elsewhere (study.output), then rerun",
            errno.EDQUOT: "free some of your quota or write elsewhere, then rerun",
            errno.EROFS: "the file system is read-only; write elsewhere (study.output)"}.get(
        exc.errno, "check the permissions of that folder, or write elsewhere (study.output)")
    return f"{exc.strerror or exc} writing {where}: {hint}; finished work is kept"


def atomic_write_bytes(path: str | Path, data: bytes, *, durable: bool = True) -> Path:
    """Write ``data`` to ``path`` via a temp file in the same folder, fsync and ``os.replace``.

    The rename alone keeps the file whole after a killed process; ``durable`` (the default) also
    fsyncs it, so it survives a crash of the machine. Pass ``durable=False`` for what no resume
    reads (sample grids, plots): a fsync of every grid costs a disk flush and buys nothing.
    An ``OSError`` (a full disk, no permission) names ``path`` itself, not the temp file.
    """
    path = Path(path)
    try:
        return _atomic_write_bytes(path, data, durable=durable)
    except OSError as exc:
        if exc.filename == str(path):
            raise
        raise type(exc)(exc.errno, exc.strerror, str(path)) from exc


def _atomic_write_bytes(path: Path, data: bytes, *, durable: bool) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


class CheckpointCadence:
    """When a trainer writes its resumable checkpoint: every ``every`` epochs, or once
    ``minutes`` of wall time have passed since the last write (``None``: no time limit), and
    always after the final epoch. Writing never changes the training (the RNG states are only
    read), so a run resumed from any checkpoint ends as an uninterrupted one does.
    """

    def __init__(self, every: int, minutes: float | None) -> None:
        self.every, self.minutes = every, minutes
        self._since = time.monotonic()

    def due(self, epoch: int, *, last: bool) -> bool:
        """True when the checkpoint of ``epoch`` should be written."""
        if last or epoch % self.every == 0:
            return True
        return self.minutes is not None and time.monotonic() - self._since >= 60.0 * self.minutes

    def written(self) -> None:
        """Record a write: the time limit counts from now."""
        self._since = time.monotonic()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Text version of :func:`atomic_write_bytes` (UTF-8)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` as indented JSON atomically."""
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")


def atomic_torch_save(path: str | Path, obj: Any) -> Path:
    """``torch.save`` through a temp file, fsync and ``os.replace`` (what resume reads)."""
    import io

    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    return atomic_write_bytes(path, buf.getvalue())


def safe_torch_load(path: str | Path, *, what: str, map_location: Any = "cpu") -> Any:
    """``torch.load(path, weights_only=True)``; any unreadable file is one line.

    Args:
        path: The file.
        what: What it should be, for the message (``"classifier checkpoint"``).
        map_location: As ``torch.load``'s.

    Raises:
        GanlabError: ``{path}: cannot be read as a {what}: {why}`` for a missing, empty,
            truncated or corrupt file, a file that is not PyTorch's at all, and a pickle that
            holds arbitrary Python objects (refused: loading it could run code).
    """
    import pickle

    import torch  # lazy: ganlab.io is imported by `ganlab --help`

    p = Path(path)
    if not p.is_file():
        raise GanlabError(f"{path}: no such file (expected a {what})")
    try:
        with p.open("rb") as fh:
            head = fh.read(4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "Detected pickle protocol 4"
            return torch.load(p, map_location=map_location, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - user files fail in many ways; each is one line
        if not head:
            why = "the file is empty"
        elif isinstance(exc, pickle.UnpicklingError) and "GLOBAL" in str(exc):
            why = ("it holds arbitrary Python objects, which ganlab never saves; refused, "
                   "since loading it could run code")
        elif head == b"PK\x03\x04":  # a zip archive (PyTorch's format) that does not open
            why = "the file is truncated or corrupt (a zip archive PyTorch cannot read)"
        else:
            why = "it is not a PyTorch checkpoint file"
        raise GanlabError(f"{path}: cannot be read as a {what}: {why}") from None
OnCorrupt = Literal["raise", "warn", "set_aside"]


def read_state(
    path: str | Path,
    *,
    what: str,
    expect: type = dict,
    fmt: Literal["json", "jsonl", "csv"] = "json",
    columns: Sequence[str] = (),
    on_corrupt: OnCorrupt = "raise",
) -> Any:
    """Read back a JSON, JSON-lines or CSV file that ganlab wrote; ``None`` if it is missing.

    A corrupt file (empty, not UTF-8, not valid JSON, a JSON value of the wrong type, a CSV
    without the ``columns`` needed) never raises a parser's traceback:

    - ``on_corrupt="raise"``: :class:`~ganlab.errors.StateFileError`, one line naming the
      file, what is wrong and what to do (records that cannot be rebuilt: ``study.json``).
    - ``"warn"``: a :class:`~ganlab.errors.GanlabWarning` and ``None``, the file left in place
      (readers that must not write: ``study list``, ``study report``).
    - ``"set_aside"``: the file is renamed ``<name>.corrupt-<time>`` (kept for inspection),
      a warning names both, and ``None`` is returned so that the caller rebuilds it (caches
      and derived results).

    Args:
        path: The file.
        what: What it is, for the message (``"study record"``).
        expect: ``dict`` or ``list``: the JSON document's top-level type (``json`` only).
        fmt: ``json`` (one document), ``jsonl`` (one JSON object per line; a list) or ``csv``
            (a list of row dicts).
        columns: Header columns a CSV must have.
        on_corrupt: What to do with a corrupt file (above).
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        data = None
    try:
        if data is None:
            raise ValueError("it is a folder, not a file")
        return _parse(data, expect, fmt, columns)
    except ValueError as exc:
        return _corrupt(p, what, str(exc), on_corrupt)


def _parse(data: bytes, expect: type, fmt: str, columns: Sequence[str]) -> Any:
    """The parsed file, or ``ValueError`` saying (in a few words) why it is corrupt."""
    if not data.strip():
        raise ValueError("the file is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("it is not UTF-8 text") from None
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"its header lacks the column(s) {', '.join(missing)}")
        return list(reader)
    docs = [line for line in text.splitlines() if line.strip()] if fmt == "jsonl" else [text]
    out = []
    for n, doc in enumerate(docs, start=1):
        try:
            value = json.loads(doc)
        except json.JSONDecodeError as exc:
            where = f"line {n}" if fmt == "jsonl" else f"line {exc.lineno} column {exc.colno}"
            raise ValueError(f"it is not valid JSON ({exc.msg} at {where})") from None
        want = dict if fmt == "jsonl" else expect
        if not isinstance(value, want):
            raise ValueError(f"expected a JSON {_JSON_NAMES.get(want, want.__name__)}, found "
                             f"{_JSON_NAMES.get(type(value), type(value).__name__)}")
        out.append(value)
    return out if fmt == "jsonl" else out[0]


_JSON_NAMES = {dict: "object", list: "list", str: "string", int: "number", float: "number",
               bool: "boolean", type(None): "null"}


def _corrupt(path: Path, what: str, why: str, on_corrupt: OnCorrupt) -> None:
    if on_corrupt == "raise":
        raise StateFileError(
            f"{path}: corrupt {what}: {why}; restore it from a backup or delete it "
            "(the command that wrote it writes it again)")
    if on_corrupt == "set_aside":
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
        try:
            os.replace(path, aside)
        except OSError:  # a read-only folder: leave it, the caller rebuilds it elsewhere
            pass
        else:
            warnings.warn(f"{path}: corrupt {what} ({why}); set aside as {aside.name} and "
                          "rebuilt", GanlabWarning, stacklevel=3)
            return None
    warnings.warn(f"{path}: corrupt {what} ({why}); ignored", GanlabWarning, stacklevel=3)
    return None


def file_lock(path: str | Path) -> FileLock:
    """An exclusive cross-process lock on the file ``path`` (its folder is created).

    Use it as ``with file_lock(path): ...``, or ``acquire()`` / ``release()``. It is the
    ``filelock`` package's ``FileLock``: a kernel ``flock`` on Unix, so the kernel drops it when
    its holder dies (a killed process never blocks the others), and the file stays in place.
    Each thread holds its own lock (``flock`` excludes threads of one process too).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(path))


OFFLINE_ENV = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")  # the ecosystem's offline switches


def downloads_switched_off() -> bool:
    """Whether the user set the Hugging Face offline switch (``HF_HUB_OFFLINE=1``), which
    ganlab honours for every download it would start (hub weights, clean-fid's Inception)."""
    return any(os.environ.get(name, "").strip().upper() in {"1", "ON", "YES", "TRUE"}
               for name in OFFLINE_ENV)


def reachable(url: str, *, timeout: float = 3.0) -> bool:
    """Whether a TCP connection to ``url``'s host and port opens within ``timeout`` seconds.

    A probe before a library download: an unknown host (no DNS, as on an offline machine) or a
    refused connection answers at once, a silent network after ``timeout``.
    """
    parts = urlsplit(url)
    if not parts.hostname:
        return False
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def replace_generated(text: str, begin: str, end: str, body: str) -> str:
    """``text`` with the part between the marker lines ``begin`` and ``end`` set to ``body``."""
    if begin not in text or end not in text:
        raise ValueError(f"the doc lacks the marker lines {begin!r} and {end!r}")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n\n{body}\n{end}{tail}"


def update_generated(path: str | Path, render: Callable[[str], str], *, check: bool) -> bool:
    """Rewrite the doc at ``path`` as ``render(old text)``; with ``check`` only compare.

    Returns:
        ``True`` if the file is (or was) out of date.
    """
    p = Path(path)
    old = p.read_text(encoding="utf-8")
    new = render(old)
    if new != old and not check:
        p.write_text(new, encoding="utf-8")
    return new != old
