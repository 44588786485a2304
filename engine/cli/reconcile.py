"""``sync plan``, ``sync apply`` and ``sync status``: thin wrappers over engine.pipeline."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from engine import pipeline, schedule
from engine.apply import ApplyReport
from engine.cli import app
from engine.errors import ConfigError, SyncError
from engine.manifests.load import load_project
from engine.manifests.project import Project
from engine.plan import Plan
from engine.plan.file import load_plan, save_plan
from engine.progress import LineProgress, Progress, Silent
from engine.render import mask_emails_in, render_json, render_markdown, render_text
from engine.render.report import render_report_markdown, render_report_text
from engine.state import history

from .context import CliState


class Format(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


class ReportFormat(StrEnum):
    text = "text"
    markdown = "markdown"


ExportOpt = Annotated[
    list[str] | None,
    typer.Option("--export", "-e", help="Only this export (repeatable)."),
]
ShowEmails = Annotated[
    bool, typer.Option("--show-emails", help="Markdown: do not mask email addresses.")
]
AllowRemovals = Annotated[
    bool,
    typer.Option("--allow-removals", help="Mirror: allow removals above limits.max_removals."),
]


def _render(plan: Plan, fmt: Format, state: CliState, show_emails: bool) -> str:
    match fmt:
        case Format.json:
            return render_json(plan)
        case Format.markdown:
            return render_markdown(plan, show_emails=show_emails)
        case Format.text:
            return render_text(plan, color=state.color and sys.stdout.isatty())


def _progress(fmt: Format) -> Progress:
    return Silent() if fmt is Format.json and not sys.stderr.isatty() else LineProgress()


def _load(state: CliState) -> Project:
    return load_project(state.workspace, state.vars)


@app.command()
def plan(
    ctx: typer.Context,
    export: ExportOpt = None,
    fmt: Annotated[Format, typer.Option("--format", help="text, markdown or json.")] = Format.text,
    out: Annotated[Path | None, typer.Option("--out", help="Save the plan (0600).")] = None,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 0 no changes, 2 changes, 1 error.")
    ] = False,
    show_emails: ShowEmails = False,
    allow_removals: AllowRemovals = False,
) -> None:
    """Show what would change in ActiveCampaign, for every enabled export (or -e NAME)."""
    state: CliState = ctx.obj
    if out is not None and not out.parent.is_dir():
        raise ConfigError(f"--out {out}: folder {out.parent} does not exist")
    project = _load(state)
    progress = _progress(fmt)
    try:
        result = pipeline.make_plan(
            project, export or (), allow_removals=allow_removals, progress=progress
        )
    except SyncError as exc:
        if fmt is Format.markdown and not show_emails:  # it may end up in a pull request
            raise SyncError(mask_emails_in(str(exc))) from exc
        raise
    finally:
        progress.close()
    if out is not None:
        save_plan(result, out)
    typer.echo(_render(result, fmt, state, show_emails), nl=False)
    if out is not None:
        typer.echo(f"Saved the plan to {out}; apply it with: sync apply {out}", err=True)
    if result.refused:
        raise typer.Exit(1)
    if detailed_exitcode and result.has_changes:
        raise typer.Exit(2)


@app.command()
def apply(
    ctx: typer.Context,
    planfile: Annotated[
        Path | None, typer.Argument(help="A plan saved by sync plan --out.")
    ] = None,
    export: ExportOpt = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    due: Annotated[
        bool, typer.Option("--due", help="Only exports whose schedule is due (scheduled runs).")
    ] = False,
    since: Annotated[
        datetime | None,
        typer.Option("--since", help="With --due: catch up fire times since this UTC time."),
    ] = None,
    now: Annotated[
        datetime | None,
        typer.Option("--now", help="With --due: act as a run started at this UTC time."),
    ] = None,
    report_fmt: Annotated[
        ReportFormat, typer.Option("--format", help="text or markdown (job summaries).")
    ] = ReportFormat.text,
    show_emails: ShowEmails = False,
    allow_removals: AllowRemovals = False,
) -> None:
    """Apply a saved plan exactly, or plan then apply (asking first on a terminal)."""
    state: CliState = ctx.obj
    fmt = Format(report_fmt.value)
    if (now or since) and not due:
        raise ConfigError("--now and --since go with --due (a scheduled run)")
    if planfile is not None and (export or due):
        raise ConfigError("a saved plan is applied whole: do not combine PLANFILE with -e/--due")
    project = _load(state)
    names = list(export or ())
    if due:
        names = _due(project, names, since, now or datetime.now(UTC))
        if not names:
            typer.echo("No export is due.")
            return
    view = _View(state, fmt, show_emails)
    reports, chosen = _plan_and_apply(project, planfile, names, view, yes, allow_removals)
    if chosen is None:
        return
    _finish(reports, fmt, show_emails)
    if any(r.interrupted for r in reports):
        started = {r.export for r in reports}
        for name in (p.export for p in chosen.exports if p.export not in started):
            typer.echo(f"{name}: not started (the run was interrupted)", err=True)
        raise typer.Exit(130)


@dataclass(frozen=True, slots=True)
class _View:
    state: CliState
    fmt: Format
    show_emails: bool


def _plan_and_apply(
    project: Project,
    planfile: Path | None,
    names: list[str],
    view: _View,
    yes: bool,
    allow_removals: bool,
) -> tuple[list[ApplyReport], Plan | None]:
    """Under the exports' locks: the saved plan (checked for staleness) or a new one, shown,
    confirmed, applied. ``(reports, None)`` when there was nothing to apply."""
    progress = _progress(view.fmt)
    with (
        pipeline.Clients(project) as clients,
        pipeline.locked(project, _names(project, planfile, names)),
    ):
        if planfile is not None:
            chosen = load_plan(planfile)
            pipeline.check_stale(project, chosen, clients, progress)
        else:
            chosen = pipeline.make_plan(
                project, names, allow_removals=allow_removals, progress=progress, clients=clients
            )
        progress.close()
        typer.echo(_render(chosen, view.fmt, view.state, view.show_emails), nl=False)
        if not chosen.has_changes and not chosen.refused:
            typer.echo("Nothing to apply.")
            return [], None
        if planfile is None and not yes:
            _confirm()
        reports = pipeline.apply_plan(project, chosen, clients, progress=progress)
        progress.close()
    return reports, chosen


def _names(project: Project, planfile: Path | None, names: list[str]) -> list[str]:
    if planfile is not None:
        return [p.export for p in load_plan(planfile).exports]
    return [e.name for e in pipeline.select_exports(project, names)]


def _due(project: Project, named: list[str], since: datetime | None, now: datetime) -> list[str]:
    """The due exports (rule: engine.schedule); ``--now`` rehearses another start time."""
    last = schedule.last_successes(history.read(pipeline.state_dir(project)))
    if since is not None:
        last = last | {name: since for name in project.exports}  # what the user says wins
    due = schedule.due_exports(project, now, last_runs=last)
    names = [d.name for d in due if not named or d.name in named]
    for item in due:
        if item.name in names:
            why = "caught up (missed run)" if item.caught_up else "due"
            typer.echo(f"{item.name}: {why} for {item.fire_time:%Y-%m-%d %H:%M} UTC", err=True)
    return names


def _confirm() -> None:
    if not sys.stdin.isatty():
        raise ConfigError("not a terminal: pass --yes to apply without confirmation")
    if not typer.confirm("Apply these changes to ActiveCampaign?", default=False):
        typer.echo("Nothing applied.")
        raise typer.Exit(1)


def _finish(reports: list[ApplyReport], fmt: Format, show_emails: bool) -> None:
    if fmt is Format.markdown:
        typer.echo(render_report_markdown(reports, show_emails=show_emails), nl=False)
    else:
        typer.echo(render_report_text(reports), nl=False)
    if not all(r.ok for r in reports) and not any(r.interrupted for r in reports):
        raise typer.Exit(1)


@app.command()
def status(
    ctx: typer.Context,
    runs: Annotated[int, typer.Option("--runs", "-n", help="Runs shown per export.")] = 5,
) -> None:
    """Recent runs per export, from the run history (.sync/history.jsonl)."""
    state: CliState = ctx.obj
    records = history.read(state.workspace / pipeline.STATE_DIR)
    if not records:
        typer.echo("No runs recorded yet (sync apply records each run in .sync/history.jsonl).")
        return
    for name, latest in history.latest_per_export(records, runs).items():
        typer.echo(name)
        for r in latest:
            counts = ", ".join(f"{k} {v}" for k, v in r.counts.items())
            rejected = f", {len(r.rejected)} rejected" if r.rejected else ""
            rejected += f", {len(r.not_applied)} not applied" if r.not_applied else ""
            typer.echo(
                f"  {r.time}  {r.outcome:<11} list {r.list_id}  {counts}{rejected}  "
                f"{r.duration_s:.1f}s  by {r.who}" + (f" @ {r.commit[:8]}" if r.commit else "")
            )
