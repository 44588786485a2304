"""The ``sync`` command line: thin. Parse options, call the core, render, pick the exit code.

Each command group lives in its own module (``engine/cli/<group>.py``) and registers itself
on :data:`app` when imported below. Exit codes are decided here and in those modules only.
"""

from __future__ import annotations

import signal
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer
from typer._click.core import Context as ClickContext
from typer.core import TyperGroup

from engine.errors import ManifestError, SyncError

from .context import CliState


class SyncGroup(TyperGroup):
    """Turns user errors into one clear message and exit 1, inside the app itself.

    Doing it here (not only in :func:`main`) makes ``CliRunner`` tests see exactly what a
    user sees.
    """

    def invoke(self, ctx: ClickContext) -> object:
        try:
            return super().invoke(ctx)
        except ManifestError as exc:
            for diagnostic in exc.diagnostics:
                typer.echo(str(diagnostic), err=True)
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
        except SyncError as exc:
            typer.echo(f"error: {exc}", err=True)
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


@app.callback()
def _global(
    ctx: typer.Context,
    workspace: Annotated[
        Path, typer.Option("--workspace", "-w", help="Workspace folder (default: current).")
    ] = Path("."),
    var: Annotated[
        list[str] | None, typer.Option("--var", help="NAME=VALUE, overrides sync.yaml vars.")
    ] = None,
    no_color: Annotated[bool, typer.Option("--no-color", help="Plain output.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of bugs.")] = False,
) -> None:
    ctx.obj = CliState.make(workspace, var or [], color=not no_color, debug=debug)


def _register() -> None:
    # Imported for their side effect: each module adds its commands to ``app``.
    from engine.cli import commands  # noqa: F401


_register()


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM (timeout, systemd, docker stop) ends a run the way Ctrl-C does: reported."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Console entry point: user errors print one message (exit 1); bugs print a notice."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        # Without standalone mode click *returns* the code of typer.Exit instead of raising.
        code = app(args=argv, prog_name="sync", standalone_mode=False)
        if isinstance(code, int):
            return code
    except SystemExit as exc:  # typer.Exit / click exits
        return int(exc.code or 0)
    except ManifestError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except SyncError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
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
