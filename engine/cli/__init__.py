"""The ``sync`` command line: thin. Parse options, call the core, render, pick the exit code.

Each verb lives in its own module (``engine/cli/<verb>.py``) and registers itself on
:data:`app` when imported below. Exit codes are decided here and in those modules only;
user errors are turned into one message and exit 1 in one place, :class:`SyncGroup`.
"""

from __future__ import annotations

import signal
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer
from typer._click.core import Command, Parameter
from typer._click.core import Context as ClickContext
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from engine import __version__
from engine.activecampaign.connect import Connector
from engine.errors import ManifestError, SyncError
from engine.render.diagnostics import render_diagnostics

from .argv import as_invoked, blank_flags, hoist_globals, program_name, tidy
from .context import CliState


def _usage_exit(exc: UsageError) -> UsageError:
    """A usage error (an unknown option, a bad value, an extra argument) exits 1 like every
    other error: 2 means only "a plan with changes" (``--detailed-exitcode``). Bare ``sync``
    shows the help, which is not an error (0)."""
    exc.exit_code = 0 if isinstance(exc, NoArgsIsHelpError) else 1
    return exc


class SyncGroup(TyperGroup):
    """Turns user errors into one clear message and exit 1, inside the app itself.

    Doing it here (not only in :func:`main`) makes ``CliRunner`` tests see exactly what a
    user sees. It also lets the global options follow the command (``sync plan --debug``,
    :func:`.argv.hoist_globals`) and tidies every command's help (:func:`.argv.tidy`).
    """

    def parse_args(self, ctx: ClickContext, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, hoist_globals(self, ctx, args))
        except UsageError as exc:
            raise _usage_exit(exc) from None

    def get_params(self, ctx: ClickContext) -> list[Parameter]:
        params = super().get_params(ctx)
        blank_flags(params)
        return params

    def get_command(self, ctx: ClickContext, cmd_name: str) -> Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            tidy(command, ctx)
        return command

    def invoke(self, ctx: ClickContext) -> object:
        program = ctx.find_root().info_name or "sync"
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            raise _usage_exit(exc) from None
        except ManifestError as exc:
            typer.echo(render_diagnostics(exc.diagnostics, color=False), nl=False, err=True)
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
        except SyncError as exc:
            typer.echo(as_invoked(f"error: {exc}", program), err=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            typer.echo("interrupted: nothing more was done", err=True)
            raise typer.Exit(130) from None


app = typer.Typer(
    name="sync",
    cls=SyncGroup,
    help="Declarative sync of customer segments to ActiveCampaign lists.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(ctx: typer.Context, value: bool) -> None:
    if value:
        typer.echo(f"{ctx.find_root().info_name or 'sync'} (ac-segment-sync) {__version__}")
        raise typer.Exit(0)


@app.callback(epilog="Global options may also follow the command: sync plan --var x=1.")
def _global(
    ctx: typer.Context,
    workspace: Annotated[
        Path,
        typer.Option(
            "--workspace",
            "-w",
            metavar="DIR",
            show_default=False,
            help="Workspace folder (default: the current one).",
        ),
    ] = Path("."),
    var: Annotated[
        list[str] | None,
        typer.Option(
            "--var",
            metavar="NAME=VALUE",
            help="Overrides a sync.yaml var (repeatable).",
        ),
    ] = None,
    no_color: Annotated[bool, typer.Option("--no-color", help="Plain output.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of bugs.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    # A test may hand in the client factory: ``CliRunner().invoke(app, args, obj=Connector(...))``.
    connector = ctx.obj if isinstance(ctx.obj, Connector) else None
    ctx.obj = CliState.make(
        workspace, var or [], color=not no_color, debug=debug, connector=connector
    )


def _register() -> None:
    # Imported for their side effect: each module adds its command(s) to ``app``.
    from . import (  # noqa: F401
        apply,
        codeowners,
        doctor,
        exports,
        init,
        plan,
        sample_data,
        sandbox,
        schema,
        status,
        validate,
    )


_register()


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM (timeout, systemd, docker stop) ends a run the way Ctrl-C does: reported."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Console entry point: bugs print a notice (user errors were handled by SyncGroup)."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        # Without standalone mode click *returns* the code of typer.Exit instead of raising.
        code = app(args=argv, prog_name=program_name(sys.argv[0]), standalone_mode=False)
        if isinstance(code, int):
            return code
    except SystemExit as exc:  # typer.Exit / click exits
        return int(exc.code or 0)
    except Exception as exc:
        return _bug(exc, debug="--debug" in (argv if argv is not None else sys.argv))
    return 0


def _bug(exc: BaseException, debug: bool) -> int:
    # typer >= 0.20 vendors click (there is no ``click`` package): use typer's exceptions.
    from typer.exceptions import Abort, Exit, TyperException

    if isinstance(exc, Exit):
        return exc.exit_code
    if isinstance(exc, TyperException):
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            print(f"error: {exc.format_message()}", file=sys.stderr)
        return exc.exit_code
    if isinstance(exc, Abort):
        print("aborted", file=sys.stderr)
        return 1
    if debug:
        traceback.print_exception(exc)
    else:
        print(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in sync, not in your manifests. Run again with --debug for the "
            "traceback and report it.",
            file=sys.stderr,
        )
    return 70
