"""Credentials in storage URLs: the one place that masks them.

A storage URL can carry a secret in two forms: the password of its user part
(``postgresql://user:pw@host/db``) and a query parameter (``?password=pw``, ``?sslpassword=``,
``?token=``, ``?api_key=``..., any parameter whose name holds ``pass``, ``pwd``, ``token``,
``secret``, ``key``, ``auth`` or ``credential``, in any case). Everything ganlab writes or
prints about a storage (``study.json``, a run's ``config.json``, ``study list``/``show``,
reports, log lines, error messages) goes through :func:`redact_url`.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

MASK = "***"

# the user part as SQLAlchemy reads it: ``scheme://user:password@`` (password up to the first @)
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^:/@]*:)([^@]*)(@)")
# key=value pairs whose key names a secret: in a URL query (``?`` ``&`` ``;``) or a libpq
# keyword string (``host=h password=pw``)
_SECRET_PARAM = re.compile(
    r"(?i)(^|[?&;\s])([\w.-]*(?:pass|pwd|token|secret|key|auth|credential)[\w.-]*=)"
    r"([^&;\s#]*)"
)


def redact_url(url: str | None) -> str | None:
    """``url`` with every credential replaced by ``***``.

    ``postgresql://u:pw@h/db?sslpassword=x&password=y`` becomes
    ``postgresql://u:***@h/db?sslpassword=***&password=***``; a URL without credentials is
    returned unchanged, ``None`` and ``""`` too.
    """
    if not url:
        return url
    out = _USERINFO.sub(lambda m: f"{m[1]}{MASK}{m[3]}", url)
    return _SECRET_PARAM.sub(lambda m: f"{m[1]}{m[2]}{MASK if m[3] else ''}", out)


def url_secrets(url: str | None) -> list[str]:
    """The secret values in ``url`` (raw and percent-decoded), longest first."""
    if not url:
        return []
    found = []
    m = _USERINFO.match(url)
    if m and m[2]:
        found.append(m[2])
    found += [m[3] for m in _SECRET_PARAM.finditer(url) if m[3]]
    found += [unquote(s) for s in found]
    return sorted({s for s in found if s and s != MASK}, key=len, reverse=True)


def mask_secrets(text: str, url: str | None) -> str:
    """``text`` (an error message, a log line) with every secret of ``url`` masked (secrets
    of one or two characters are left: masking them would garble the text)."""
    for secret in (s for s in url_secrets(url) if len(s) >= 3):
        text = text.replace(secret, MASK)
    return text


def has_masked_secret(url: str | None) -> bool:
    """Whether ``url`` is a redacted URL whose credentials must be given again."""
    if not url:
        return False
    m = _USERINFO.match(url)
    if m and m[2] == MASK:
        return True
    return any(m[3] == MASK for m in _SECRET_PARAM.finditer(url))


def without_secrets(url: str) -> str:
    """``url`` with its credentials removed (no password in the user part, no secret
    parameters), for a driver that finds the password elsewhere (``PGPASSWORD``, ``~/.pgpass``)."""
    out = _USERINFO.sub(lambda m: m[1][:-1] + m[3], url)
    out = _SECRET_PARAM.sub(lambda m: m[1] if m[1] in "?" else "", out)
    out = re.sub(r"\?&+", "?", out)
    return out.rstrip("?&;")
