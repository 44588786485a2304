"""``sync exports``: the exports with their account, list and schedule (offline; for fan-out).

Reads the manifests only: no network, no secret. ``--accounts`` lists the accounts instead,
which is what the fan-out workflow's matrix is built from (one job per account), so the
rule "an account is in the matrix when it has an enabled export" lives here, beside
``--account``, and not in a jq filter in the workflow. ``--due --now T`` keeps a scheduled
run's matrix to the accounts with a due export (each apply job then acts for the same
``--now``), so an hourly tick with nothing due starts no apply job at all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from engine import pipeline
from engine.accounts import accounts_of, enabled_accounts, export_rows
from engine.errors import ConfigError
from engine.render.exports import (
    render_accounts_json,
    render_accounts_text,
    render_exports_json,
    render_exports_text,
)

from . import app
from .common import AccountOpt, Due, ExportOpt, Now
from .context import CliState


@app.command("exports")
def exports_command(
    ctx: typer.Context,
    export: ExportOpt = None,
    account: AccountOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array, for machines.")] = False,
    accounts: Annotated[
        bool,
        typer.Option("--accounts", help="List the accounts with enabled exports instead."),
    ] = False,
    due: Due = False,
    now: Now = None,
) -> None:
    """List exports with their account (connection host), list, mode and schedule.

    Every export, disabled ones too; with -e, --account or --due, the exports `sync plan`
    or `sync apply --due` would take with the same options. Offline: reads the manifests
    (and, for --due, the local run history), needs no secret.
    """
    state: CliState = ctx.obj
    project = state.project()
    if now and not due:
        raise ConfigError("--now goes with --due (the exports a scheduled run applies)")
    chosen = None
    if export or account is not None:
        chosen = pipeline.select_exports(project, export or (), account=account)
    if due:
        named = [] if chosen is None else [e.name for e in chosen]
        due_now = pipeline.due_exports(project, named, None, now or datetime.now(UTC))
        chosen = [project.exports[item.name] for item in due_now]
    if accounts:
        found = enabled_accounts(project) if chosen is None else accounts_of(project, chosen)
        render = render_accounts_json if as_json else render_accounts_text
        typer.echo(render(found), nl=False)
        return
    rows = export_rows(project, chosen)
    typer.echo((render_exports_json if as_json else render_exports_text)(rows), nl=False)
