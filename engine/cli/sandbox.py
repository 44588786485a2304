"""``sync sandbox ...``: serve, seed, reset and inspect the embedded ActiveCampaign sandbox."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, TextIO

import typer

from engine.activecampaign.connect import base_url
from engine.activecampaign.sandbox import SANDBOX_DEFAULT_KEY, SandboxApp, SandboxSettings, Store
from engine.activecampaign.sandbox.seed import seed_project
from engine.activecampaign.sandbox.server import LOOPBACK, make_server
from engine.activecampaign.sandbox.store import STATUS_NAMES
from engine.cli import app
from engine.errors import ConfigError
from engine.state import sandbox_data

from .argv import say
from .context import CliState

sandbox_app = typer.Typer(help="The embedded ActiveCampaign sandbox (host: sandbox).")
app.add_typer(sandbox_app, name="sandbox")

DataOption = Annotated[
    Path | None,
    typer.Option("--data", help="Sandbox data file (default: <workspace>/.sync/sandbox.sqlite3)."),
]


def _data(ctx: typer.Context, data: Path | None) -> Path:
    state: CliState = ctx.obj
    return data if data is not None else sandbox_data(state.workspace)


Port = Annotated[int, typer.Option("--port", help="Port on 127.0.0.1 (0: any free one).")]
KEY_ENV = "SYNC_SANDBOX_KEY"
ApiKey = Annotated[
    str,
    typer.Option(
        "--api-key",
        envvar=KEY_ENV,
        show_default=False,
        metavar="KEY",
        help=f"The Api-Token clients must send (default: {SANDBOX_DEFAULT_KEY}). Prefer "
        f"{KEY_ENV}=KEY: a key on the command line is visible to other users in ps.",
    ),
]
LogFile = Annotated[
    Path | None,
    typer.Option(
        "--log",
        metavar="FILE",
        help="Append one line per request: time, method, path, status, duration (no headers).",
    ),
]
RateLimit = Annotated[
    float, typer.Option("--rate-limit", help="Requests/s for the account (0: no limit).")
]
FaultRate = Annotated[
    float, typer.Option("--fault-rate", help="Share of requests failing with 502/503/a drop.")
]
Latency = Annotated[float, typer.Option("--latency", help="Seconds added to answers.")]
BulkDelay = Annotated[
    float, typer.Option("--bulk-delay", help="Seconds a bulk import takes to process.")
]
Seed = Annotated[int | None, typer.Option("--seed", help="Makes injected faults reproducible.")]
UpdatedAfter = Annotated[
    str,
    typer.Option("--updated-after", help="filters\\[updated_after]: instant, or day (a date)."),
]
Sideload = Annotated[
    str, typer.Option("--sideload", help="include=fieldValues: complete, ignored, stale, slow.")
]
TotalCountsIds = Annotated[
    bool,
    typer.Option(
        "--total-counts-ids/--total-ignores-ids",
        help="Whether meta.total counts id_greater/id_less.",
    ),
]


@sandbox_app.command("serve")
def serve(
    ctx: typer.Context,
    port: Port = 0,
    api_key: ApiKey = SANDBOX_DEFAULT_KEY,
    data: DataOption = None,
    rate_limit: RateLimit = 5.0,
    fault_rate: FaultRate = 0.0,
    latency: Latency = 0.0,
    bulk_delay: BulkDelay = 0.0,
    seed: Seed = None,
    updated_after: UpdatedAfter = "instant",
    sideload: Sideload = "complete",
    total_counts_ids: TotalCountsIds = True,
    log: LogFile = None,
) -> None:
    """Serve the sandbox over HTTP on 127.0.0.1 until interrupted (knobs for rehearsals)."""
    try:
        settings = SandboxSettings(
            api_key=api_key,
            rate_limit=rate_limit or None,
            fault_rate=fault_rate,
            latency=latency,
            bulk_delay=bulk_delay,
            seed=seed,
            updated_after=updated_after,
            sideload=sideload,
            total_counts_ids=total_counts_ids,
        )
    except ValueError as exc:
        raise ConfigError(f"sync sandbox serve: {exc}") from None
    with ExitStack() as stack:
        out = None if log is None else stack.enter_context(_log_file(log))
        application = SandboxApp.open(_data(ctx, data), settings)
        stack.callback(application.close)
        server = make_server(application, port, out)
        stack.callback(server.server_close)
        logged = "" if log is None else f"; requests logged to {log}"
        typer.echo(
            f"sandbox serving {base_url(f'{LOOPBACK}:{server.server_address[1]}')} "
            f"(data: {application.sandbox.store.path}{logged}); Ctrl-C stops it"
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            typer.echo("stopped")


def _log_file(path: Path) -> TextIO:
    try:
        return path.open("a", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--log {path}: cannot write it: {exc.strerror}") from None


@sandbox_app.command("seed")
def seed(ctx: typer.Context, data: DataOption = None) -> None:
    """Create the lists and custom fields the workspace's sandbox exports need."""
    state: CliState = ctx.obj
    project = state.project()
    store = Store(_data(ctx, data))
    try:
        seeded = seed_project(store, project)
    finally:
        store.close()
    for list_id, name in seeded.lists:
        typer.echo(f"list {list_id}: {name}")
    for perstag, field_id in seeded.fields:
        typer.echo(f"field {field_id}: {perstag}")
    if not seeded.lists:
        typer.echo("no export uses a sandbox connection (host: sandbox); nothing to seed")


@sandbox_app.command("reset")
def reset(ctx: typer.Context, data: DataOption = None) -> None:
    """Delete everything in the sandbox (lists, contacts, fields, tags, batches)."""
    store = Store(_data(ctx, data))
    try:
        store.reset()
    finally:
        store.close()
    typer.echo(f"sandbox emptied: {store.path}")


@sandbox_app.command("lists")
def lists(ctx: typer.Context, data: DataOption = None) -> None:
    """Show the sandbox's lists with member counts by status."""
    path = _data(ctx, data)
    if not path.exists():  # looking must not create a sandbox (or a .sync/ folder)
        say(f"no sandbox at {path} yet (run: sync sandbox seed)")
        return
    store = Store(path)
    try:
        summaries = store.list_summaries()
    finally:
        store.close()
    if not summaries:
        say("no lists (run: sync sandbox seed)")
    for summary in summaries:
        counts = ", ".join(
            f"{summary.counts.get(s, 0)} {name}" for s, name in sorted(STATUS_NAMES.items())
        )
        typer.echo(f"{summary.id}\t{summary.name}\t{summary.total} members ({counts})")
