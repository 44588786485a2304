"""What ``sync plan`` and ``sync apply`` share: output formats, options, rendering a plan."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import typer

from engine import pipeline
from engine.manifests import Project
from engine.plan import Plan
from engine.progress import Progress, Silent
from engine.render import render_json, render_markdown, render_text
from engine.render.markdown import DEFAULT_MAX_CHARS
from engine.render.progress import BarProgress, LineProgress

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
    typer.Option("--export", "-e", metavar="NAME", help="Only this export (repeatable)."),
]
AccountOpt = Annotated[
    str | None,
    typer.Option(
        "--account",
        metavar="HOST",
        help="Only the enabled exports of this account (a connection's host, any case).",
    ),
]
Due = Annotated[
    bool, typer.Option("--due", help="Only exports whose schedule is due (scheduled runs).")
]
Now = Annotated[
    datetime | None,
    typer.Option("--now", help="With --due: act as a run started at this UTC time."),
]
ShowEmails = Annotated[
    bool, typer.Option("--show-emails", help="Markdown: do not mask email addresses.")
]


class Refresh(StrEnum):
    auto = "auto"
    full = "full"


RefreshOpt = Annotated[
    Refresh,
    typer.Option(
        "--refresh",
        help="auto: read only what changed since each list's snapshot; full: read in full.",
    ),
]
Parallel = Annotated[
    int | None,
    typer.Option(
        "--parallel",
        min=1,
        metavar="N",
        help="Accounts (hosts) worked on at once; default one per account, at most 4.",
    ),
]
Full = Annotated[
    bool,
    typer.Option("--full", help="Text: every change, invalid row and conflict (no compact form)."),
]
ShowInvalid = Annotated[
    bool,
    typer.Option("--show-invalid", help="Text: every invalid row and conflict, not the first 10."),
]


@dataclass(frozen=True, slots=True)
class Detail:
    """How much of a text plan to show (the compact rule: engine.render.text)."""

    full: bool = False
    show_invalid: bool = False


AllowRemovals = Annotated[
    bool,
    typer.Option("--allow-removals", help="Mirror: allow removals above limits.max_removals."),
]


def selected(project: Project, export: list[str] | None, account: str | None) -> list[str]:
    """The names ``-e`` and ``--account`` choose (none: every enabled export)."""
    if account is None:
        return list(export or ())
    return [e.name for e in pipeline.select_exports(project, export or (), account=account)]


def render_plan(
    plan: Plan,
    fmt: Format,
    state: CliState,
    show_emails: bool,
    max_chars: int = DEFAULT_MAX_CHARS,
    detail: Detail = Detail(),
) -> str:
    match fmt:
        case Format.json:
            return render_json(plan)
        case Format.markdown:
            return render_markdown(plan, show_emails=show_emails, max_chars=max_chars)
        case Format.text:
            return render_text(
                plan,
                color=state.color and sys.stdout.isatty(),
                full=detail.full,
                show_invalid=detail.show_invalid,
            )


def progress_for(fmt: Format) -> Progress:
    if not sys.stderr.isatty():
        return Silent() if fmt is Format.json else LineProgress()
    return BarProgress()  # a person is watching: bars with the time left
