"""A loaded workspace: every manifest, validated and cross-checked, with where it came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import Diagnostic, Location
from .manifest import ActiveCampaignConnection, Export, Segment, Settings, Source


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

    def where(self, kind: str, name: str, key: str | None = None) -> Location:
        """Best location for a document or one of its keys (falls back to the document)."""
        if key is not None and (kind, name, key) in self.locations:
            return self.locations[(kind, name, key)]
        return self.locations.get((kind, name), Location(f"{kind}/?"))

    def path(self, relative: str) -> Path:
        """A path in a manifest or query, relative to the workspace folder."""
        candidate = Path(relative)
        return candidate if candidate.is_absolute() else self.root / candidate
