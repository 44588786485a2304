"""Assemble the frozen :class:`Project` from the loader's valid entries."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import Diagnostic, Location
from .loader_refs import Entry
from .manifest import ActiveCampaignConnection, Export, Segment, Settings, Source
from .project import Project


def build_project(
    root: Path, settings: Settings, entries: Sequence[Entry], diagnostics: Sequence[Diagnostic]
) -> Project:
    destinations: dict[str, ActiveCampaignConnection] = {}
    sources: dict[str, Source] = {}
    segments: dict[str, Segment] = {}
    exports: dict[str, Export] = {}
    locations: dict[tuple[str, ...], Location] = {}
    rendered: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:
        model = entry.model
        if isinstance(model, ActiveCampaignConnection):
            destinations[model.name] = model
        elif isinstance(model, Source):
            sources[model.name] = model
        elif isinstance(model, Segment):
            segments[model.name] = model
        elif isinstance(model, Export):
            exports[model.name] = model
        else:
            continue
        assert entry.name is not None and isinstance(entry.data, dict)
        locations.update(_locations(entry))
        rendered[(entry.kind, entry.name)] = entry.data
    return Project(
        root=root,
        settings=settings,
        destinations=destinations,
        sources=sources,
        segments=segments,
        exports=exports,
        locations=locations,
        rendered=rendered,
        warnings=tuple(sorted(d for d in diagnostics if not d.is_error)),
    )


def _locations(entry: Entry) -> dict[tuple[str, ...], Location]:
    """``(kind, name)`` -> document start; ``(kind, name, "dotted.key")`` -> key (or item)."""
    assert entry.name is not None
    out: dict[tuple[str, ...], Location] = {(entry.kind, entry.name): entry.at(())}
    for path in entry.doc.keys:
        out[(entry.kind, entry.name, ".".join(map(str, path)))] = entry.at(path, key=True)
    for path in entry.doc.values:
        if path and isinstance(path[-1], int):
            out[(entry.kind, entry.name, ".".join(map(str, path)))] = entry.at(path)
    return out
