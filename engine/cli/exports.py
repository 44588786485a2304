"""``sync exports``: the exports with their account, list and schedule (offline; for fan-out).

Reads the manifests only: no network, no secret. ``--accounts`` lists the accounts instead,
which is what the fan-out workflow's matrix is built from (one job per account), so the
rule "an account is in the matrix when it has an enabled export" lives here, beside
``--account``, and not in a jq filter in the workflow.
"""

from __future__ import annotations

from typing import Annotated

import typer

from engine import pipeline
from engine.accounts import accounts_of, enabled_accounts, export_rows
from engine.render.exports import (
    render_accounts_json,
    render_accounts_text,
    render_exports_json,
    render_exports_text,
)

from . import app
from .common import AccountOpt, ExportOpt
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
) -> None:
    """List exports with their account (connection host), list, mode and schedule.

    Every export, disabled ones too; with -e or --account, the exports `sync plan` would
    take with the same options. Offline: reads the manifests, needs no secret.
    """
    state: CliState = ctx.obj
    project = state.project()
    chosen = None
    if export or account is not None:
        chosen = pipeline.select_exports(project, export or (), account=account)
    if accounts:
        found = enabled_accounts(project) if chosen is None else accounts_of(project, chosen)
        render = render_accounts_json if as_json else render_accounts_text
        typer.echo(render(found), nl=False)
        return
    rows = export_rows(project, chosen)
    typer.echo((render_exports_json if as_json else render_exports_text)(rows), nl=False)
