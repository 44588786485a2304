"""``sync sample-data``: write realistic sample customer profiles (DuckDB, CSV, Parquet)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from engine.cli import app
from engine.errors import ConfigError
from engine.scaffold.sample_data import DEFAULT_ROWS, DEFAULT_SEED, generate

from .context import CliState


@app.command("sample-data")
def sample_data(
    ctx: typer.Context,
    rows: Annotated[int, typer.Option("--rows", help="Profiles to generate.")] = DEFAULT_ROWS,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same data.")] = DEFAULT_SEED,
    out: Annotated[
        Path, typer.Option("--out", help="DuckDB file (replaced), relative to the workspace.")
    ] = Path("data/profiles.duckdb"),
    csv: Annotated[Path | None, typer.Option("--csv", help="Also write this CSV file.")] = None,
    parquet: Annotated[
        Path | None, typer.Option("--parquet", help="Also write this Parquet file.")
    ] = None,
) -> None:
    """Generate unified customer profiles, with the mess real exports have (see the docs)."""
    state: CliState = ctx.obj
    if rows < 0:
        raise ConfigError(f"--rows {rows}: write a number of profiles, 0 or more")

    def here(path: Path | None) -> Path | None:
        return None if path is None else path if path.is_absolute() else state.workspace / path

    summary = generate(here(out) or out, rows, seed, csv=here(csv), parquet=here(parquet))
    for path in summary.files:
        typer.echo(f"wrote {_shown(path, state.workspace)}")
    typer.echo(
        f"{summary.rows:,} profiles (seed {seed}) in {summary.seconds:.1f} s: "
        f"{summary.high_value:,} with lifetime_value >= 500, "
        f"{summary.recent_buyers:,} with last_order_date >= 2026-06-01"
    )


def _shown(path: Path, workspace: Path) -> str:
    try:
        return str(path.relative_to(workspace))
    except ValueError:
        return str(path)
