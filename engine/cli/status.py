"""``sync status``: recent runs per export, from the run history."""

from __future__ import annotations

from typing import Annotated

import typer

from engine.render.status import render_status
from engine.state import history, state_dir

from . import app
from .context import CliState


@app.command()
def status(
    ctx: typer.Context,
    runs: Annotated[int, typer.Option("--runs", "-n", help="Runs shown per export.")] = 5,
) -> None:
    """Recent runs per export, from the run history (.sync/history.jsonl)."""
    state: CliState = ctx.obj
    records, damaged = history.read_all(state_dir(state.workspace))
    typer.echo(render_status(history.latest_per_export(records, runs), damaged), nl=False)
