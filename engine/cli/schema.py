"""``sync schema``: the JSON Schema of the manifests, for editors."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from engine.manifests.schema import KINDS, all_schemas, schema_for

from . import app


@app.command()
def schema(
    kind: Annotated[
        str | None,
        typer.Option("--kind", help=f"Only one kind: {', '.join(KINDS)} (sync = sync.yaml)."),
    ] = None,
) -> None:
    """Print the JSON Schema of the manifests (an object keyed by kind), for editors."""
    if kind is None:
        typer.echo(json.dumps(all_schemas(), indent=2))
        return
    try:
        typer.echo(json.dumps(schema_for(kind), indent=2))
    except KeyError:
        raise typer.BadParameter(
            f"'{kind}' is not a kind; use one of: {', '.join(KINDS)}"
        ) from None
