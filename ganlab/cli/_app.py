"""The root Typer app: error handling and help conventions shared by every command.

A :class:`~ganlab.errors.GanlabError` raised anywhere below a command is printed as one red
line and the process exits with status 1, without a traceback; so is an ``OSError`` of a full
disk or a missing permission (with the path it was writing). SIGTERM (``kill``, a job
scheduler's stop) takes Ctrl-C's path: the running trial is marked failed with its reason, the
files already written stay, and the process exits with status 143 (Ctrl-C: 130).

Library errors name config paths and arguments (``GanlabError.paths``), never flags:
:data:`PATH_FLAGS` turns them into the running command's options. (Typer >= 0.16 vendors click,
so exits are raised as ``typer.Exit``; ``click.exceptions.Exit`` would escape as a traceback.)

Help conventions (every command): ``-h`` and ``--help``; flags show no ``<bool>`` type; arguments
are named in capitals (``STUDY_FILE``, ``[PATTERN]``) instead of Typer's ``{study_file}``.
"""

from __future__ import annotations

import enum
import signal
import threading
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperArgument, TyperCommand, TyperGroup

from ganlab.errors import GanlabError, Terminated
from ganlab.io import disk_fault

PROFILE_HELP = "Apply the \\[profiles.NAME] table of the study file first."
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}

PATH_FLAGS: dict[str, str] = {
    "study.device": "--device",
    "study.storage": "--storage",
    "study.output": "--output",
    "jobs": "--jobs",
    "gpus": "--gpus",
    "resume": "--no-resume",
    "out_dir": "--out",
    "label": "--label",
    "n": "-n",
    "generator_checkpoint": "--gan-checkpoint",
    "refit": "--refit",
    "data.synth.n": "--n",
    "data.synth.difficulty": "--difficulty",
    "data.synth.image_size": "--image-size",
}
"""Config path or library argument (``GanlabError.paths``) -> the option that sets it."""

console = Console()
err_console = Console(stderr=True)


def _flags(command: Any) -> set[str]:
    params = getattr(command, "params", ())
    return {opt for p in params for opt in (*p.opts, *getattr(p, "secondary_opts", ()))}


def user_message(exc: GanlabError, command: Any = None) -> str:
    """``exc`` as the CLI shows it: paths the ``command`` has an option for name that option."""
    have = _flags(command)
    flags = [(p, PATH_FLAGS[p]) for p in exc.paths if PATH_FLAGS.get(p) in have]
    if not flags:
        return str(exc)
    if len(exc.paths) == 1:
        path, flag = flags[0]
        shown = f"{flag} ({path})" if "." in path else flag
        text = f"{shown}: {exc.message}"
        return f"{text}; {exc.hint}" if exc.hint else text
    return f"{exc} (options: {', '.join(f for _, f in flags)})"


class OutputFormat(enum.StrEnum):
    """How a listing command prints: a rich table or JSON."""

    table = "table"
    json = "json"


FormatOpt = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", case_sensitive=False, help="table or json."),
]
JsonAliasOpt = Annotated[
    bool, typer.Option("--json", hidden=True, help="Same as --format json (deprecated).")
]


class LogFormat(enum.StrEnum):
    """How progress is shown."""

    auto = "auto"
    rich = "rich"
    plain = "plain"


LogFormatOpt = Annotated[
    LogFormat,
    typer.Option("--log-format", case_sensitive=False,
                 help="auto: a live display on a terminal, plain lines otherwise (a log file); "
                      "rich; plain: one timestamped line per epoch, trial and stage."),
]


def is_plain(fmt: LogFormat, console: Console) -> bool:
    """Whether to print plain lines (``plain``, or ``auto`` without a terminal)."""
    return fmt == LogFormat.plain or (fmt == LogFormat.auto and not console.is_terminal)


def print_skipped(protocol: dict[str, Any]) -> None:
    """One console line for files a data folder could not use, and where they are listed."""
    skipped = protocol.get("skipped") or {}
    if not skipped:
        return
    reasons = "; ".join(f"{r}: {n}" for r, n in skipped.items())
    where = f"; full list: {protocol['skipped_list']}" if protocol.get("skipped_list") else ""
    console.print(escape(f"skipped {sum(skipped.values())} of {protocol.get('files', '?')} files "
                         f"({reasons}){where}"), style="yellow", highlight=False)


def wants_json(fmt: OutputFormat, json_alias: bool = False) -> bool:
    """Whether a listing command prints JSON (``--format json`` or the hidden ``--json``)."""
    return json_alias or fmt == OutputFormat.json


def _polish(params: list[Any]) -> None:
    """Help texts without ``<bool>`` on flags and with capitalised argument names."""
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
        elif isinstance(param, TyperArgument) and param.metavar is None:
            param.metavar = (param.name or "arg").upper()


class GanlabCommand(TyperCommand):
    """A Typer command with ganlab's help conventions."""

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        _polish(params)
        return params

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                name = param.metavar or (param.name or "").upper()
                name = name if param.required else f"[{name}]"
                pieces.append(name + ("..." if param.nargs != 1 else ""))
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces


def _raise_terminated(signum: int, _frame: Any) -> None:
    raise Terminated(signal.Signals(signum).name)


def handle_sigterm() -> None:
    """Make SIGTERM raise :class:`Terminated` (only the main thread can install handlers)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_terminated)


class GanlabGroup(TyperGroup):
    """A Typer group that turns user errors into a message and exit status 1."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name, cmd, rest = super().resolve_command(ctx, args)
        ctx.meta["ganlab.command"] = cmd  # shared by the sub-contexts: the innermost wins
        return name, cmd, rest

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        _polish(params)
        return params

    def invoke(self, ctx: Any) -> Any:
        handle_sigterm()
        try:
            return super().invoke(ctx)
        except GanlabError as exc:
            message = escape(user_message(exc, ctx.meta.get("ganlab.command")))
            err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except OSError as exc:
            line = disk_fault(exc)  # a full disk or a permission problem: one line, the path
            if line is None:
                raise
            err_console.print(f"[bold red]error:[/] {escape(line)}", highlight=False,
                              soft_wrap=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt as exc:
            how = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
            err_console.print(f"[yellow]{how}[/]: completed work is saved; rerun to resume.")
            raise typer.Exit(143 if isinstance(exc, Terminated) else 130) from None


class GanlabTyper(typer.Typer):
    """``typer.Typer`` whose commands default to :class:`GanlabCommand`."""

    def command(self, *args: Any, cls: type[TyperCommand] | None = None,
                **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        kwargs.setdefault("context_settings", CONTEXT_SETTINGS)
        return super().command(*args, cls=cls or GanlabCommand, **kwargs)


def make_app(help_text: str, *, add_completion: bool = False) -> GanlabTyper:
    """An app with ganlab's defaults (``-h``, no pretty tracebacks, clean help)."""
    return GanlabTyper(
        cls=GanlabGroup,
        help=help_text,
        no_args_is_help=True,
        add_completion=add_completion,
        pretty_exceptions_enable=False,
        rich_markup_mode="rich",
        context_settings=CONTEXT_SETTINGS,
    )
