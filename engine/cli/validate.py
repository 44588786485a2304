"""``sync validate``: load and check every manifest, offline (no network, no secrets)."""

from __future__ import annotations

import typer

from engine.errors import ManifestError
from engine.render.diagnostics import render_diagnostics, render_valid
from engine.scaffold.codeowners import codeowners_diagnostics

from . import app
from .argv import say
from .context import CliState


@app.command()
def validate(ctx: typer.Context) -> None:
    """Load and check every manifest, offline; report every problem at its file:line."""
    state: CliState = ctx.obj
    try:
        project = state.project(warn=False)
    except ManifestError as exc:
        typer.echo(render_diagnostics(exc.diagnostics, color=state.color), nl=False, err=True)
        errors = sum(1 for d in exc.diagnostics if d.is_error)
        warnings = len(exc.diagnostics) - errors
        tail = f", {warnings} warning(s)" if warnings else ""
        typer.echo(
            f"{errors} error(s){tail} in the manifests; nothing was checked online", err=True
        )
        raise typer.Exit(1) from None
    owners = tuple(codeowners_diagnostics(project))
    shown = render_diagnostics(project.warnings + owners, color=state.color)
    typer.echo(shown, nl=False, err=True)
    if any(d.is_error for d in owners):
        say("CODEOWNERS does not match the manifests; run `sync codeowners`", err=True)
        raise typer.Exit(1)
    typer.echo(render_valid(project))
