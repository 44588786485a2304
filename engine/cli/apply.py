"""``sync apply``: apply a saved plan exactly, or plan then apply (engine.pipeline)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from engine import pipeline
from engine.apply import ApplyReport
from engine.errors import ConfigError
from engine.manifests import Project, load_project
from engine.plan import Plan
from engine.plan.file import load_plan
from engine.progress import Progress
from engine.render.report import render_report_markdown, render_report_text

from . import app
from .common import (
    AccountOpt,
    AllowRemovals,
    Detail,
    Due,
    ExportOpt,
    Format,
    Full,
    Now,
    Parallel,
    Refresh,
    RefreshOpt,
    ReportFormat,
    ShowEmails,
    ShowInvalid,
    progress_for,
    render_plan,
    selected,
)
from .context import CliState

PlanFile = Annotated[Path | None, typer.Argument(help="A plan saved by sync plan --out.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
Since = Annotated[
    datetime | None,
    typer.Option("--since", help="With --due: catch up fire times since this UTC time."),
]
ReportFormatOpt = Annotated[
    ReportFormat, typer.Option("--format", help="text or markdown (job summaries).")
]


@app.command()
def apply(
    ctx: typer.Context,
    planfile: PlanFile = None,
    export: ExportOpt = None,
    account: AccountOpt = None,
    yes: Yes = False,
    due: Due = False,
    since: Since = None,
    now: Now = None,
    report_fmt: ReportFormatOpt = ReportFormat.text,
    show_emails: ShowEmails = False,
    allow_removals: AllowRemovals = False,
    refresh: RefreshOpt = Refresh.auto,
    parallel: Parallel = None,
    full: Full = False,
    show_invalid: ShowInvalid = False,
) -> None:
    """Apply a saved plan exactly, or plan then apply (asking first on a terminal)."""
    state: CliState = ctx.obj
    fmt = Format(report_fmt.value)
    if (now or since) and not due:
        raise ConfigError("--now and --since go with --due (a scheduled run)")
    if planfile is not None and (export or due or account):
        raise ConfigError(
            "a saved plan is applied whole: do not combine PLANFILE with -e/--account/--due"
        )
    saved = None if planfile is None else _saved(planfile, state, allow_removals)
    project = state.project() if saved is None else load_project(state.workspace, saved.vars)
    names = selected(project, export, account)
    if due:
        names = _due(project, names, since, now or datetime.now(UTC))
        if not names:
            typer.echo("No export is due.")
            return
    progress = progress_for(fmt)
    ask = planfile is None and not yes
    review = _Review(state, fmt, show_emails, Detail(full, show_invalid), progress, ask=ask)
    with pipeline.Clients(project, connector=state.connector) as clients:
        done = pipeline.plan_and_apply(
            project,
            clients,
            review,
            saved=saved,
            names=names,
            allow_removals=allow_removals,
            progress=progress,
            refresh=refresh.value,
            parallel=parallel,
        )
    progress.close()
    if not done.approved:
        return
    _show(list(done.reports), fmt, show_emails)
    if done.interrupted:
        started = {r.export for r in done.reports}
        for name in (p.export for p in done.plan.exports if p.export not in started):
            typer.echo(f"{name}: not started (the run was interrupted)", err=True)
        raise typer.Exit(130)
    if not all(r.ok for r in done.reports):
        raise typer.Exit(1)


def _saved(planfile: Path, state: CliState, allow_removals: bool) -> Plan:
    """The saved plan (its digest checked), applied with the ``--var`` values it was made
    with: none need repeating, and a different one is an error, not a silent choice."""
    if allow_removals:
        raise ConfigError(
            "--allow-removals is part of making a plan, not of applying a saved one (it is "
            "applied exactly as reviewed): make the plan again with 'sync plan "
            f"--allow-removals --out {planfile}', review it, and apply that"
        )
    saved = load_plan(planfile)
    for name, value in state.vars.items():
        if saved.vars.get(name) != value:
            made = f"with {name}={saved.vars[name]}" if name in saved.vars else f"without {name}"
            raise ConfigError(
                f"--var {name}={value}: {planfile} was made {made}, and a saved plan is "
                "applied with the values it was made with (no --var needed); drop --var, "
                "or make the plan again with it"
            )
    return saved


class _Review:
    """Shows the plan; says whether to apply it (asking on a terminal unless --yes)."""

    def __init__(
        self,
        state: CliState,
        fmt: Format,
        show_emails: bool,
        detail: Detail,
        progress: Progress,
        *,
        ask: bool,
    ) -> None:
        self.state, self.fmt, self.show_emails, self.detail = state, fmt, show_emails, detail
        self.progress, self.ask = progress, ask

    def __call__(self, plan: Plan) -> bool:
        """The text plan ends with its grand total, so it is directly above the question."""
        self.progress.close()
        shown = render_plan(plan, self.fmt, self.state, self.show_emails, detail=self.detail)
        typer.echo(shown, nl=False)
        if not plan.has_changes and not plan.refused:
            typer.echo("Nothing to apply.")
            return False
        if self.ask:
            _confirm()
        return True


def _due(project: Project, named: list[str], since: datetime | None, now: datetime) -> list[str]:
    """The due exports (rule: engine.schedule); ``--now`` rehearses another start time."""
    due = pipeline.due_exports(project, named, since, now)
    for item in due:
        why = "caught up (missed run)" if item.caught_up else "due"
        typer.echo(f"{item.name}: {why} for {item.fire_time:%Y-%m-%d %H:%M} UTC", err=True)
    return [item.name for item in due]


def on_terminal() -> bool:
    """Whether a person can answer the question (tests stand in for one)."""
    return sys.stdin.isatty()


def _confirm() -> None:
    if not on_terminal():
        raise ConfigError("not a terminal: pass --yes to apply without confirmation")
    if not typer.confirm("Apply these changes to ActiveCampaign?", default=False):
        typer.echo("Nothing applied.")
        raise typer.Exit(1)


def _show(reports: list[ApplyReport], fmt: Format, show_emails: bool) -> None:
    if fmt is Format.markdown:
        typer.echo(render_report_markdown(reports, show_emails=show_emails), nl=False)
    else:
        typer.echo(render_report_text(reports), nl=False)
