"""Storage URLs are written to study.json without their password."""

from __future__ import annotations

import pytest

from ganlab.errors import GanlabError
from ganlab.study.storage._storage import recorded_url, redact_url


def test_password_is_redacted_and_other_urls_kept() -> None:
    assert redact_url("postgresql://u:secret@127.0.0.1:5432/test") == (
        "postgresql://u:***@127.0.0.1:5432/test"
    )
    assert redact_url("postgresql://postgres@127.0.0.1/test") == "postgresql://postgres@127.0.0.1/test"
    assert redact_url("sqlite:///runs/x.db") == "sqlite:///runs/x.db"
    assert redact_url(None) is None


def test_redacted_url_needs_the_password_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GANLAB_STORAGE", raising=False)
    stored = redact_url("postgresql://u:secret@h/test")
    with pytest.raises(GanlabError, match="GANLAB_STORAGE"):
        recorded_url(stored, None)
    assert recorded_url(stored, "postgresql://u:secret@h/test") == "postgresql://u:secret@h/test"
    monkeypatch.setenv("GANLAB_STORAGE", "postgresql://u:pw@h/test")
    assert recorded_url(stored, None) == "postgresql://u:pw@h/test"
