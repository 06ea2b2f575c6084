"""Every `ganlab ...` command in README.md and docs/*.md parses as written; every study file the
docs mention loads; the docs' own-data recipe works.

Commands are taken from fenced code blocks (lines split at ``&&`` and ``;``, leading ``VAR=value``
assignments dropped, lines with shell pipes skipped), resolved through the real click command
tree of :data:`ganlab.cli.app`, and handed to the leaf command's ``make_context``, which checks
option names, option values and argument counts without running anything. Upper-case
placeholders (``NAME``, ``DIR``, ``REAL_DIR``) are replaced by ``1``, which every parameter type
of ganlab's commands (path, string, integer, float) accepts.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
import typer.main
from typer.testing import CliRunner

import ganlab.cli
from ganlab.config import load_config

ROOT = Path(__file__).resolve().parents[2]
# docs/cli.md is generated usage syntax (`ganlab study run [OPTIONS] {study_file}`), checked by
# test_cli_reference.py instead.
DOCS = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "cli.md")]
PLACEHOLDER = re.compile(r"^[A-Z][A-Z0-9_]*(\.[a-z]+)?$")
# Study files the docs use as stand-ins for a reader's own file (created in the recipe).
PLACEHOLDER_STUDIES = {"studies/x.toml", "studies/mine.toml"}
STUDY_MENTION = re.compile(r"studies/[A-Za-z0-9_.-]+\.toml")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass(frozen=True)
class DocCommand:
    """One ``ganlab`` command line found in a doc."""

    where: str  # file:line
    args: tuple[str, ...]  # the tokens after ``ganlab``


def _code_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) of every line inside fenced code blocks, continuations joined."""
    out: list[tuple[int, str]] = []
    fence: str | None = None
    pending: tuple[int, str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if fence is None:
            if stripped.startswith(("```", "~~~")):
                fence = stripped[:3]
            continue
        if stripped.startswith(fence):
            fence = None
            continue
        if pending is not None:
            number, stripped = pending[0], f"{pending[1]} {stripped}"
            pending = None
        if stripped.endswith("\\"):
            pending = (number, stripped[:-1])
            continue
        out.append((number, stripped))
    return out


def doc_commands(path: Path) -> list[DocCommand]:
    """The ``ganlab`` commands in the code blocks of one Markdown file."""
    found = []
    for number, line in _code_lines(path.read_text(encoding="utf-8")):
        if "ganlab" not in line or re.search(r"(^|\s)\|(\s|$)", line):
            continue
        for segment in re.split(r"&&|;", line):
            try:
                tokens = shlex.split(segment, comments=True)
            except ValueError:
                continue
            if tokens[:1] == ["$"]:
                tokens = tokens[1:]
            while tokens and ASSIGNMENT.match(tokens[0]):
                tokens = tokens[1:]
            if tokens[:1] == ["ganlab"]:
                found.append(DocCommand(f"{path.name}:{number}", tuple(tokens[1:])))
    return found


def check_command(args: tuple[str, ...] | list[str]) -> None:
    """Raise if ``ganlab ARGS`` does not parse against the real command tree."""
    cmd = typer.main.get_command(ganlab.cli.app)
    tokens = ["1" if PLACEHOLDER.match(t) else t for t in args]
    ctx = cmd.make_context("ganlab", [], resilient_parsing=True)
    path = ["ganlab"]
    while hasattr(cmd, "commands") and tokens and not tokens[0].startswith("-"):
        name = tokens.pop(0)
        sub = cmd.get_command(ctx, name)
        if sub is None:
            raise ValueError(f"`{' '.join(path)}` has no command {name!r} "
                             f"(it has: {', '.join(cmd.commands)})")
        path.append(name)
        cmd = sub
        ctx = cmd.make_context(name, [], parent=ctx, resilient_parsing=True)
    if "--help" in tokens or "--version" in tokens:
        return  # eager options: the command path above is what matters
    if hasattr(cmd, "commands"):
        raise ValueError(f"`{' '.join(path)}` is a command group; name one of its commands "
                         f"({', '.join(cmd.commands)})")
    cmd.make_context(path[-1], tokens, parent=ctx.parent)


def _all_commands() -> list[DocCommand]:
    return [c for doc in DOCS for c in doc_commands(doc)]


def test_docs_contain_commands() -> None:
    commands = _all_commands()
    where = {c.where.split(":")[0] for c in commands}
    assert len(commands) >= 30, len(commands)
    for doc in ("README.md", "quickstart.md", "concepts.md", "distributed.md",
                "evaluation-protocol.md"):
        assert doc in where, f"no ganlab command found in {doc}"


@pytest.mark.parametrize("command", _all_commands(), ids=lambda c: c.where)
def test_doc_command_parses(command: DocCommand) -> None:
    try:
        check_command(command.args)
    except (Exception, typer.Exit) as exc:  # click usage errors, unknown commands
        pytest.fail(f"{command.where}: `ganlab {' '.join(command.args)}` does not parse: {exc}")


@pytest.mark.parametrize("args", [
    ["study", "frobnicate", "studies/quickstart.toml"],   # unknown command
    ["study", "run"],                                     # missing argument
    ["study", "run", "a.toml", "b.toml"],                 # extra argument
    ["study", "run", "a.toml", "--bogus"],                # unknown option
    ["study", "run", "a.toml", "--jobs", "many"],         # wrong option type
    ["data", "inspect", "DIR", "--hash-distance", "99"],  # out of range
    ["study"],                                            # a group, not a command
])
def test_checker_rejects_broken_commands(args: list[str]) -> None:
    with pytest.raises(Exception):  # noqa: B017 - any click/usage error is a rejection
        check_command(args)


def test_extraction_handles_shell_forms(tmp_path: Path) -> None:
    doc = tmp_path / "x.md"
    doc.write_text(
        "text ganlab study run ignored.toml\n"
        "```bash\n"
        "pip install -e . && ganlab study run studies/quickstart.toml && ganlab study list\n"
        "GANLAB_STORAGE=sqlite:///x.db ganlab study report q   # comment\n"
        "ganlab study list | head\n"
        "ganlab study run studies/quickstart.toml \\\n"
        "    --jobs 2\n"
        "```\n"
    )
    got = [c.args for c in doc_commands(doc)]
    assert got == [("study", "run", "studies/quickstart.toml"), ("study", "list"),
                   ("study", "report", "q"), ("study", "run", "studies/quickstart.toml",
                                              "--jobs", "2")]


def _study_mentions() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for doc in DOCS:
        for m in STUDY_MENTION.finditer(doc.read_text(encoding="utf-8")):
            found.setdefault(m.group(0), []).append(doc.name)
    return found


def test_docs_mention_the_shipped_studies() -> None:
    assert {"studies/quickstart.toml", "studies/paper.toml"} <= set(_study_mentions())


@pytest.mark.parametrize("study", sorted(set(_study_mentions()) - PLACEHOLDER_STUDIES))
def test_mentioned_study_file_loads(study: str) -> None:
    path = ROOT / study
    assert path.is_file(), f"{study} is mentioned in {_study_mentions()[study]} but missing"
    load_config(path)
    profiles = tomllib.loads(path.read_text(encoding="utf-8")).get("profiles", {})
    for name in profiles:  # every --profile the docs may name
        load_config(path, profile=name)


def test_own_data_recipe(tmp_path: Path) -> None:
    """quickstart.md section 5: inspect a folder, copy the quickstart study, point it there."""
    runner = CliRunner()
    data = tmp_path / "my-lesions"
    done = runner.invoke(ganlab.cli.app, ["data", "synth", "--out", str(data), "--n", "12",
                                          "--image-size", "32"])
    assert done.exit_code == 0, done.output
    done = runner.invoke(ganlab.cli.app, ["data", "inspect", str(data), "--json"])
    assert done.exit_code == 0, done.output
    assert '"benign"' in done.output and '"malignant"' in done.output

    text = (ROOT / "studies/quickstart.toml").read_text(encoding="utf-8")
    text = text.replace('name = "quickstart"', 'name = "mine"')
    text = re.sub(r'^root = .*$', f'root = "{data.as_posix()}"', text, flags=re.M)
    text = re.sub(r"^synth = .*$\n", "", text, flags=re.M)
    mine = tmp_path / "mine.toml"
    mine.write_text(text, encoding="utf-8")
    done = runner.invoke(ganlab.cli.app, ["config", "check", str(mine)])
    assert done.exit_code == 0, done.output
    cfg = load_config(mine)
    assert cfg.study.name == "mine" and cfg.data.root == data.as_posix()
    assert cfg.data.synth is None

    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("[data]\n", "[data]\nroots = 'typo'\n"), encoding="utf-8")
    done = runner.invoke(ganlab.cli.app, ["config", "check", str(bad)])
    assert done.exit_code == 1 and "roots" in done.output
