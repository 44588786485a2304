"""A loaded workspace: every manifest, validated and cross-checked, with where it came from;
and :func:`build_project`, which assembles it from the loader's valid entries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import Diagnostic, Location

from .models import ActiveCampaignConnection, Export, Segment, Settings, Source
from .references import Entry


@dataclass(frozen=True, slots=True)
class Project:
    """The workspace as the loader built it. Frozen; the pipeline only reads it.

    ``locations`` maps ``(kind, name)`` to where the document starts and
    ``(kind, name, "dotted.key")`` to where a key is written, so later stages (plan, apply)
    can point at the manifest line that is involved. ``rendered`` keeps each document as
    plain data after rendering (secrets still as ``${env:NAME}`` references): saved plans
    carry it to detect and explain manifest changes.
    """

    root: Path
    settings: Settings
    destinations: Mapping[str, ActiveCampaignConnection]
    sources: Mapping[str, Source]
    segments: Mapping[str, Segment]
    exports: Mapping[str, Export]
    locations: Mapping[tuple[str, ...], Location] = field(default_factory=dict)
    rendered: Mapping[tuple[str, str], Mapping[str, Any]] = field(default_factory=dict)
    warnings: tuple[Diagnostic, ...] = ()  # problems that do not stop a run
    vars: Mapping[str, str] = field(default_factory=dict)  # the --var values it was loaded with

    def where(self, kind: str, name: str, key: str | None = None) -> Location:
        """Best location for a document or one of its keys (falls back to the document)."""
        if key is not None and (kind, name, key) in self.locations:
            return self.locations[(kind, name, key)]
        return self.locations.get((kind, name), Location(f"{kind}/?"))

    def path(self, relative: str) -> Path:
        """A path in a manifest or query, relative to the workspace folder."""
        candidate = Path(relative)
        return candidate if candidate.is_absolute() else self.root / candidate


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
