"""``sync doctor``: what the account does where the API documents are silent.

Read-only by default; ``--write`` adds probes on scratch objects it makes and deletes
(asking first on a terminal, ``--yes`` otherwise); ``--clean`` only deletes what earlier
``--write`` runs left behind.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from engine import pipeline
from engine.doctor import clean_leftovers, diagnose, leftovers
from engine.errors import ConfigError
from engine.manifests import Project
from engine.render.doctor import (
    render_check,
    render_cleaned,
    render_header,
    render_json,
    render_tail,
)

from . import app
from . import apply as apply_cli
from .context import CliState


class DoctorFormat(StrEnum):
    text = "text"
    json = "json"


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
    write: Annotated[
        bool,
        typer.Option(
            "--write",
            help="Also probe writes, on a scratch list, tag and contacts named "
            "sync-doctor-<date> that are deleted afterwards.",
        ),
    ] = False,
    clean: Annotated[
        bool,
        typer.Option("--clean", help="Only delete scratch objects earlier --write runs left."),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Write without asking (--write, --clean).")
    ] = False,
    fmt: Annotated[
        DoctorFormat,
        typer.Option("--format", help="text (each check as it is done) or json (at the end)."),
    ] = DoctorFormat.text,
) -> None:
    """Check the key and what the account does where the API documents are silent (GET
    requests only, unless --write); the verdicts are stored as account facts for later
    plans and applies."""
    state: CliState = ctx.obj
    project = state.project()
    name = _connection(project, connection)
    if clean and (write or list_id is not None or fmt is not DoctorFormat.text):
        raise ConfigError(
            "--clean deletes leftovers only: it takes neither --write, --list-id nor --format"
        )
    if yes and not (write or clean):
        raise ConfigError("--yes goes with --write or --clean (the read-only checks ask nothing)")
    with pipeline.Clients(project, connector=state.connector) as clients:
        if clean:
            _clean(clients, name, yes)
            return
        if write:
            _confirm(yes, WRITING.format(name=name))
        text = fmt is DoctorFormat.text
        if text:
            typer.echo(render_header(name, clients(name).host, write=write), nl=False)
        report = diagnose(
            clients,
            name,
            list_id,
            write=write,
            on_check=(lambda check: typer.echo(render_check(check), nl=False)) if text else None,
            notice=_notice,
        )
    typer.echo(render_tail(report) if text else render_json(report), nl=False)
    if report.interrupted:
        raise typer.Exit(130)
    if report.failed:
        raise typer.Exit(1)


WRITING = (
    "create a list, a text field, a tag and up to 4 contacts named "
    "sync-doctor-<date>-<time>-<4 hex>* on '{name}' to probe writes (automations and webhooks "
    "of the account may see them) and delete them afterwards, with those of earlier runs "
    "started over an hour ago"
)


def _notice(text: str) -> None:
    typer.echo(f"sync doctor: {text}", err=True)


def _clean(clients: pipeline.Clients, name: str, yes: bool) -> None:
    found = leftovers(clients, name)
    if found.incomplete:
        typer.echo(f"warning: the search may have missed some: {found.incomplete}", err=True)
    if not found.mine.count():
        typer.echo(f"No scratch objects (sync-doctor-*) found on '{name}'.")
        if found.incomplete:
            raise typer.Exit(1)
        return
    runs = len(found.mine.runs())
    what = (
        f"delete {found.mine.describe()} of {runs} sync doctor run(s) on '{name}' "
        "(sync-doctor-*; a --write run still going on would fail)"
    )
    _confirm(yes, what)
    cleaned = clean_leftovers(clients, name, found.mine, _notice)
    cleaned.search_failed = found.incomplete
    typer.echo(render_cleaned(name, cleaned), nl=False)
    if cleaned.interrupted:
        raise typer.Exit(130)
    if not cleaned.complete:
        raise typer.Exit(1)


def _confirm(yes: bool, what: str) -> None:
    if yes:
        return
    if not apply_cli.on_terminal():
        raise ConfigError(f"sync doctor would {what}: not a terminal, so pass --yes")
    if not typer.confirm(f"sync doctor will {what}. Go on?", default=False):
        typer.echo("Nothing written.")
        raise typer.Exit(1)


def _connection(project: Project, name: str | None) -> str:
    known = sorted(project.destinations)
    if name is not None and name in project.destinations:
        return name
    if name is None and len(known) == 1:
        return known[0]
    listed = ", ".join(known) or "none"
    if name is not None and name in project.sources:
        kind = project.sources[name].type
        what = f"-c {name}: a {kind} connection (a source), not an ActiveCampaign one"
    elif name is not None:
        what = f"-c {name}: no ActiveCampaign connection of that name"
    else:
        what = "several ActiveCampaign connections: name one with -c"
    raise ConfigError(f"{what} (ActiveCampaign connections: {listed})")
