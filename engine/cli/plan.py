"""``sync plan``: show what would change in ActiveCampaign (engine.pipeline.make_plan)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from engine import pipeline
from engine.errors import ConfigError, SyncError
from engine.plan.file import save_plan
from engine.render import mask_emails_in
from engine.render.markdown import DEFAULT_MAX_CHARS

from . import app
from .argv import say
from .common import (
    AccountOpt,
    AllowRemovals,
    Detail,
    ExportOpt,
    Format,
    Full,
    Parallel,
    Refresh,
    RefreshOpt,
    ShowEmails,
    ShowInvalid,
    progress_for,
    render_plan,
    selected,
)
from .context import CliState


@app.command()
def plan(
    ctx: typer.Context,
    export: ExportOpt = None,
    account: AccountOpt = None,
    fmt: Annotated[Format, typer.Option("--format", help="text, markdown or json.")] = Format.text,
    out: Annotated[Path | None, typer.Option("--out", help="Save the plan (0600).")] = None,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 0 no changes, 2 changes, 1 error.")
    ] = False,
    show_emails: ShowEmails = False,
    allow_removals: AllowRemovals = False,
    refresh: RefreshOpt = Refresh.auto,
    parallel: Parallel = None,
    max_chars: Annotated[
        int,
        typer.Option(
            "--max-chars",
            min=0,
            help="Markdown: details within N characters (default: one pull-request comment).",
        ),
    ] = DEFAULT_MAX_CHARS,
    full: Full = False,
    show_invalid: ShowInvalid = False,
) -> None:
    """Show what would change in ActiveCampaign, for every enabled export (or -e NAME,
    --account HOST)."""
    state: CliState = ctx.obj
    if out is not None and not out.parent.is_dir():
        raise ConfigError(f"--out {out}: folder {out.parent} does not exist")
    project = state.project()
    names = selected(project, export, account)
    progress = progress_for(fmt)
    try:
        with pipeline.Clients(project, connector=state.connector) as clients:
            result = pipeline.make_plan(
                project,
                names,
                allow_removals=allow_removals,
                progress=progress,
                clients=clients,
                refresh=refresh.value,
                parallel=parallel,
            )
    except SyncError as exc:
        if fmt is Format.markdown and not show_emails:  # it may end up in a pull request
            raise SyncError(mask_emails_in(str(exc))) from exc
        raise
    finally:
        progress.close()
    if out is not None:
        save_plan(result, out)
    typer.echo(
        render_plan(result, fmt, state, show_emails, max_chars, Detail(full, show_invalid)),
        nl=False,
    )
    if out is not None:
        say(f"Saved the plan to {out}; apply it with: sync apply {out}", err=True)
    if result.refused:
        raise typer.Exit(1)
    if detailed_exitcode and result.has_changes:
        raise typer.Exit(2)
