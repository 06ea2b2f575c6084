"""Every command's help renders cleanly: ``-h``, no ``<bool>``, no ``{arg}``, no lost brackets."""

from __future__ import annotations

import re

import pytest
import typer.main
from typer.testing import CliRunner

from ganlab.cli import app

runner = CliRunner()
_ROOT = typer.main.get_command(app)
_STRIP = re.compile(r"[\s│╭╮╰╯─]+")


def _commands(cmd, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], object]]:
    out = [(path, cmd)]
    for name, child in getattr(cmd, "commands", {}).items():
        out += _commands(child, (*path, name))
    return out


COMMANDS = _commands(_ROOT)


def _bracketed(text: str) -> list[str]:
    """``[...]`` spans a help text means literally (rich markup escapes them as ``\\[``)."""
    return re.findall(r"\\(\[[^\]]*\])", text or "")


def _sources(cmd) -> list[str]:
    texts = [cmd.help or ""]
    texts += [getattr(p, "help", "") or "" for p in cmd.params]
    return texts


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=[" ".join(("ganlab", *p)) for p, _ in COMMANDS])
def test_help_is_clean(path: tuple[str, ...], cmd) -> None:
    result = runner.invoke(app, [*path, "-h"], terminal_width=100)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Usage:" in out
    assert "<bool>" not in out, out
    assert not re.search(r"\{[a-z_]+\}", out), out  # Typer's {study_file} argument style
    flat = _STRIP.sub("", out)
    for text in _sources(cmd):
        for span in _bracketed(text):
            assert _STRIP.sub("", span) in flat, f"{span!r} lost from the help of {path}"


def test_bracket_check_can_fail() -> None:
    """The swallowed-bracket check sees markup that rich would eat."""
    assert _bracketed("Apply the \\[profiles.NAME] table") == ["[profiles.NAME]"]


def test_shell_completion_is_offered(monkeypatch: pytest.MonkeyPatch) -> None:
    import typer.completion

    out = runner.invoke(app, ["-h"]).output
    assert "--install-completion" in out and "--show-completion" in out
    # Typer detects the shell from the process tree; a test run may have none (nohup, CI)
    monkeypatch.setattr(typer.completion, "_get_shell_name", lambda: "bash")
    script = runner.invoke(app, ["--show-completion"])
    assert script.exit_code == 0 and "complete_bash" in script.output


def test_listing_commands_share_one_format_option() -> None:
    for path in (("plugins", "list"), ("study", "list"), ("study", "show"), ("data", "inspect")):
        out = runner.invoke(app, [*path, "-h"], terminal_width=100).output
        assert "--format" in out and "table|json" in out.replace(" ", ""), (path, out)
