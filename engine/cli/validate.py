"""``sync validate`` (offline: no network, no secrets) and ``sync schema``."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from engine.cli import app
from engine.errors import Diagnostic, ManifestError
from engine.manifests.load import load_project
from engine.manifests.project import Project
from engine.manifests.schema import KINDS, all_schemas, schema_for
from engine.scaffold.codeowners import codeowners_diagnostics

from .context import CliState


@app.command()
def validate(ctx: typer.Context) -> None:
    """Load and check every manifest, offline; report every problem at its file:line."""
    state: CliState = ctx.obj
    try:
        project = load_project(state.workspace, state.vars)
    except ManifestError as exc:
        _print(exc.diagnostics, state)
        errors = sum(1 for d in exc.diagnostics if d.is_error)
        warnings = len(exc.diagnostics) - errors
        tail = f", {warnings} warning(s)" if warnings else ""
        typer.echo(
            f"{errors} error(s){tail} in the manifests; nothing was checked online", err=True
        )
        raise typer.Exit(1) from None
    owners = tuple(codeowners_diagnostics(project))
    _print(project.warnings + owners, state)
    if any(d.is_error for d in owners):
        typer.echo("CODEOWNERS does not match the manifests; run `sync codeowners`", err=True)
        raise typer.Exit(1)
    typer.echo(f"Valid: {summary(project)}")


def summary(project: Project) -> str:
    """``3 connections (1 ActiveCampaign, 2 sources), 3 segments, 2 exports``."""
    destinations, sources = len(project.destinations), len(project.sources)
    return (
        f"{_count(destinations + sources, 'connection')} "
        f"({destinations} ActiveCampaign, {_count(sources, 'source')}), "
        f"{_count(len(project.segments), 'segment')}, {_count(len(project.exports), 'export')}"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _print(diagnostics: tuple[Diagnostic, ...], state: CliState) -> None:
    for diagnostic in diagnostics:
        text = str(diagnostic)
        if state.color:
            word = f": {diagnostic.severity.value}:"
            colour = "red" if diagnostic.is_error else "yellow"
            text = text.replace(word, typer.style(word, fg=colour, bold=True), 1)
        typer.echo(text, err=True)


@app.command()
def schema(
    kind: Annotated[
        str | None,
        typer.Option("--kind", help=f"Only one kind: {', '.join(KINDS)} (sync = sync.yaml)."),
    ] = None,
) -> None:
    """Print the JSON Schema of the manifests (an object keyed by kind), for editors."""
    if kind is None:
        typer.echo(json.dumps(all_schemas(), indent=2))
        return
    try:
        typer.echo(json.dumps(schema_for(kind), indent=2))
    except KeyError:
        raise typer.BadParameter(
            f"'{kind}' is not a kind; use one of: {', '.join(KINDS)}"
        ) from None
