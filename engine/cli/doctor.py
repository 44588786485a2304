"""``sync doctor``: what the account does where the documents are silent (read-only)."""

from __future__ import annotations

from typing import Annotated

import typer

from engine import pipeline
from engine.doctor import diagnose
from engine.errors import ConfigError
from engine.manifests import Project
from engine.render.doctor import render_doctor

from . import app
from .context import CliState


@app.command()
def doctor(
    ctx: typer.Context,
    connection: Annotated[
        str | None,
        typer.Option(
            "--connection", "-c", metavar="NAME", help="The ActiveCampaign connection to check."
        ),
    ] = None,
    list_id: Annotated[
        int | None,
        typer.Option("--list-id", metavar="N", min=1, help="Probe within this list."),
    ] = None,
) -> None:
    """Check the key and what the account does where the API documents are silent (GET
    requests only); the verdicts are stored as account facts for later plans."""
    state: CliState = ctx.obj
    project = state.project()
    name = _connection(project, connection)
    with pipeline.Clients(project, connector=state.connector) as clients:
        report = diagnose(clients, name, list_id)
    typer.echo(render_doctor(report), nl=False)
    if report.failed:
        raise typer.Exit(1)


def _connection(project: Project, name: str | None) -> str:
    known = sorted(project.destinations)
    if name is not None and name in project.destinations:
        return name
    if name is None and len(known) == 1:
        return known[0]
    listed = ", ".join(known) or "none"
    what = (
        f"-c {name}: no ActiveCampaign connection of that name"
        if name
        else ("several ActiveCampaign connections: name one with -c")
    )
    raise ConfigError(f"{what} (connections: {listed})")
