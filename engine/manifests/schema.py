"""JSON Schema of each manifest kind, for editors (yaml-language-server) and other tools.

Generated from the pydantic models in :mod:`engine.manifests.models`, so it cannot drift from what
``sync validate`` accepts; the committed copies in ``schemas/`` are checked against it by the
tests. Values written with Jinja (``{{ var('x') }}``) are text to an editor, so a field such
as ``list_id: {{ var('list') }}`` may be flagged there while ``sync validate`` accepts it.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from .models import Connection, Export, Segment, Settings

KINDS = ("connections", "segments", "exports", "sync")
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_for(kind: str) -> dict[str, Any]:
    """The JSON Schema of one kind: connections, segments, exports, or sync (sync.yaml)."""
    builders = {
        "connections": lambda: TypeAdapter(Connection).json_schema(),
        "segments": Segment.model_json_schema,
        "exports": Export.model_json_schema,
        "sync": Settings.model_json_schema,
    }
    if kind not in builders:
        raise KeyError(kind)
    schema = builders[kind]()
    titles = {"sync": "sync.yaml"}
    return {"$schema": DIALECT, **schema, "title": titles.get(kind, f"{kind}/*.yaml")}


def all_schemas() -> dict[str, dict[str, Any]]:
    return {kind: schema_for(kind) for kind in KINDS}
