"""Storage URLs are written to study.json without their credentials (every form)."""

from __future__ import annotations

import pytest

from ganlab.config import mask_secrets, without_secrets
from ganlab.errors import GanlabError
from ganlab.study.storage._storage import recorded_url, redact_url


def test_password_is_redacted_and_other_urls_kept() -> None:
    assert redact_url("postgresql://u:secret@127.0.0.1:5432/test") == (
        "postgresql://u:***@127.0.0.1:5432/test"
    )
    assert redact_url("postgresql://postgres@127.0.0.1/test") == "postgresql://postgres@127.0.0.1/test"
    assert redact_url("postgresql://h:5432/db?sslmode=require") == (
        "postgresql://h:5432/db?sslmode=require"
    )
    assert redact_url("sqlite:///runs/x.db") == "sqlite:///runs/x.db"
    assert redact_url(None) is None


@pytest.mark.parametrize("url", [
    "postgresql://root@127.0.0.1/test?password=zzpwq",
    "postgresql://root@127.0.0.1/test?sslmode=disable&PASSWORD=zzpwq",
    "postgresql://root@h/test?passwd=zzpwq",
    "postgresql://root@h/test?pwd=zzpwq&x=1",
    "postgresql://root@h/test?sslpassword=zzpwq",
    "postgresql://root@h/test?token=zzpwq",
    "postgresql://root@h/test?Secret=zzpwq",
    "postgresql://root@h/test?api_key=zzpwq",
    "mysql://root@h/test;password=zzpwq",
    "postgresql://u:zzpwq@h/test?password=zzpwq",
    "postgresql://u:zz%40pwq@h/test",
    "host=h user=u password=zzpwq",
])
def test_every_credential_form_is_masked(url: str) -> None:
    red = redact_url(url)
    assert "zzpwq" not in red and "zz%40pwq" not in red and "***" in red
    assert "zzpwq" not in mask_secrets(f"error: could not connect to {url} (zz@pwq)", url)
    assert "zzpwq" not in without_secrets(red) and "***" not in without_secrets(red)


def test_secret_free_url_keeps_its_other_parameters() -> None:
    red = redact_url("postgresql://root@h/test?sslmode=disable&password=x&connect_timeout=5")
    assert red == "postgresql://root@h/test?sslmode=disable&password=***&connect_timeout=5"
    assert without_secrets(red) == "postgresql://root@h/test?sslmode=disable&connect_timeout=5"


def test_redacted_url_needs_the_password_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GANLAB_STORAGE", raising=False)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.delenv("PGPASSFILE", raising=False)
    monkeypatch.setenv("HOME", "/nonexistent")
    for url in ("postgresql://u:secret@h/test", "postgresql://u@h/test?password=secret"):
        stored = redact_url(url)
        with pytest.raises(GanlabError, match="GANLAB_STORAGE"):
            recorded_url(stored, None)
        assert recorded_url(stored, url) == url
    monkeypatch.setenv("PGPASSWORD", "secret")
    assert recorded_url(redact_url("postgresql://u@h/test?password=secret&sslmode=disable"),
                        None) == "postgresql://u@h/test?sslmode=disable"
    monkeypatch.setenv("GANLAB_STORAGE", "postgresql://u:pw@h/test")
    assert recorded_url(redact_url("postgresql://u:secret@h/test"), None) == (
        "postgresql://u:pw@h/test")


def test_error_messages_never_show_a_credential(tmp_path) -> None:
    from ganlab.config import attribute
    from ganlab.errors import ConfigError
    from ganlab.study import StudyLayout, open_storage

    with pytest.raises(ConfigError) as info:
        open_storage("host=h password=zzpwq", StudyLayout(tmp_path / "s"))
    assert "zzpwq" not in str(info.value) and "password=***" in str(info.value)
    with pytest.raises(ConfigError) as info:  # a server that refuses: the driver's message too
        open_storage("sqlite:////nonexistent/dir/x.db?password=zzpwq", StudyLayout(tmp_path / "s"))
    assert "zzpwq" not in str(info.value)
    exc = attribute(ConfigError("study.storage: bad"), [("study.storage", "postgresql://u:zzpwq@h/d")])
    assert "zzpwq" not in str(exc) and "u:***@h/d" in str(exc)
