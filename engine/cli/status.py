"""``sync status``: recent runs per export, from the run history, with a chart of each."""

from __future__ import annotations

import codecs
import sys
from typing import Annotated

import typer

from engine.render.history_chart import UNICODE_LEVELS
from engine.render.status import render_status
from engine.render.status_markdown import render_status_markdown
from engine.state import history, state_dir

from . import app
from .common import ExportOpt, ReportFormat
from .context import CliState


@app.command()
def status(
    ctx: typer.Context,
    runs: Annotated[
        int, typer.Option("--runs", "-n", min=1, help="Runs shown (and charted) per export.")
    ] = 5,
    export: ExportOpt = None,
    output: Annotated[
        ReportFormat,
        typer.Option("--format", help="text: a chart per export; markdown: Mermaid charts."),
    ] = ReportFormat.text,
) -> None:
    """Recent runs per export, with a chart of each, from the run history
    (.sync/history.jsonl)."""
    state: CliState = ctx.obj
    records, damaged = history.read_all(state_dir(state.workspace))
    if export:
        records = [r for r in records if r.export in export]
    latest = history.latest_per_export(records, runs)
    if output is ReportFormat.markdown:
        typer.echo(render_status_markdown(latest, damaged), nl=False)
    else:
        typer.echo(render_status(latest, damaged, unicode=_can_encode_blocks()), nl=False)
    for name in export or ():
        if name not in latest:
            typer.echo(f"note: export '{name}' has no runs in .sync/history.jsonl", err=True)


def _can_encode_blocks() -> bool:
    """Whether standard output can take the chart's Unicode blocks (a cp1252 console, an
    ASCII-only pipe cannot: the chart is drawn in ASCII there)."""
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        codecs.lookup(encoding)
        UNICODE_LEVELS.encode(encoding)
    except (LookupError, UnicodeEncodeError):
        return False
    return True
