"""``sync codeowners``: write (or ``--check``) the generated block of ``.github/CODEOWNERS``."""

from __future__ import annotations

from typing import Annotated

import typer

from engine.cli import app
from engine.scaffold import codeowners

from .context import CliState


@app.command("codeowners")
def codeowners_command(
    ctx: typer.Context,
    check: Annotated[
        bool, typer.Option("--check", help="Only check; exit 1 when CODEOWNERS is out of date.")
    ] = False,
) -> None:
    """Write .github/CODEOWNERS from sync.yaml teams and the connections' usable_by."""
    state: CliState = ctx.obj
    project = state.project()
    if check:
        problems = codeowners.codeowners_diagnostics(project)
        for problem in problems:
            typer.echo(str(problem), err=True)
        if problems:
            raise typer.Exit(1)
        typer.echo("CODEOWNERS is up to date")
        return
    path, changed = codeowners.write_codeowners(project)
    shown = codeowners.display_path(path, project.root)
    typer.echo(f"wrote {shown}" if changed else f"{shown} is up to date")
