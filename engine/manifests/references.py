"""Checks across documents: unique names, and references between kinds.

- Names are unique within a kind; a duplicate is reported at *each* place it is defined,
  each message pointing at the other(s).
- An export's ``connection`` must name an ActiveCampaign connection (a source there is an
  error that says so); its ``segments`` must exist.
- A segment's ``source`` must name a source connection (duckdb, sqlite, postgres, sql).
- A reference to a document that exists but is itself invalid is not reported again, and
  names found in files that could not be parsed at all (``guessed``) count as existing, so
  one mistake is not reported three times.
- A document with schema errors (an unknown key, a wrong type) still has its references
  checked, from its raw keys: all problems are reported at once, not one per run.
- Warning: an export whose connection lacks ``data_privacy_consent: true`` (plan and apply
  would refuse it).
- What exports writing one account share, a list or a field: :mod:`.shared`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from engine.errors import Diagnostic, Location, Severity

from .diagnostics import did_you_mean
from .models import ActiveCampaignConnection, Export, Segment
from .shared import check_shared
from .yaml import Document, KeyPath, Mark


@dataclass(frozen=True, slots=True)
class Entry:
    """One document of a kind, as loaded: its raw name, data, and model if it is valid."""

    kind: str
    name: str | None
    label: str
    doc: Document
    data: object
    model: BaseModel | None
    rendered: bool = True  # False: its file had template errors (data holds stand-ins)

    def at(self, path: KeyPath, *, key: bool = False) -> Location:
        mark: Mark = self.doc.key_mark(path) if key else self.doc.value_mark(path)
        return Location(self.label, mark.line, mark.col)


def check_references(entries: Sequence[Entry], guessed: Mapping[str, set[str]]) -> list[Diagnostic]:
    by_kind: dict[str, dict[str, list[Entry]]] = {}
    for entry in entries:
        if entry.name is not None:
            by_kind.setdefault(entry.kind, {}).setdefault(entry.name, []).append(entry)
    out = _duplicates(by_kind)
    connections = {name: found[0] for name, found in by_kind.get("connections", {}).items()}
    segments = set(by_kind.get("segments", {})) | guessed.get("segments", set())
    for entry in entries:
        refs = _Refs.of(entry)
        if refs is None:
            continue
        if entry.kind == "exports":
            out += _export(entry, refs, connections, segments, guessed)
        else:
            out += _segment(entry, refs, connections, guessed)
    return out + check_shared([e for e in entries if isinstance(e.model, Export)], connections)


@dataclass(frozen=True, slots=True)
class _Refs:
    """What a document refers to: from its model, or (when invalid) its raw keys."""

    name: str
    connection: str | None  # an export's connection, or a segment's source
    segments: tuple[tuple[int, str], ...]  # (index, name) of an export's segments

    @classmethod
    def of(cls, entry: Entry) -> _Refs | None:
        if isinstance(entry.model, Export):
            m = entry.model
            return cls(m.name, m.connection, tuple(enumerate(m.segments)))
        if isinstance(entry.model, Segment):
            return cls(entry.model.name, entry.model.source, ())
        if entry.kind not in ("exports", "segments") or not entry.rendered:
            return None
        if not isinstance(entry.data, dict):
            return None
        data = entry.data
        key = "connection" if entry.kind == "exports" else "source"
        target = data.get(key) if isinstance(data.get(key), str) else None
        listed = data.get("segments") if entry.kind == "exports" else None
        named = tuple(
            (i, s)
            for i, s in enumerate(listed if isinstance(listed, list) else [])
            if isinstance(s, str)
        )
        return cls(entry.name or "?", target, named)


def _duplicates(by_kind: dict[str, dict[str, list[Entry]]]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for kind, names in by_kind.items():
        for name, found in names.items():
            if len(found) < 2:
                continue
            places = [e.at(("name",)) for e in found]
            for here in places:
                others = ", ".join(str(p) for p in places if p != here)
                out.append(
                    Diagnostic(
                        here,
                        f"{kind[:-1]} name '{name}' is defined more than once (also at "
                        f"{others}); names must be unique within {kind}/",
                    )
                )
    return out


def _export(
    entry: Entry,
    export: _Refs,
    connections: Mapping[str, Entry],
    segments: set[str],
    guessed: Mapping[str, set[str]],
) -> list[Diagnostic]:
    problem = _connection(entry, export, connections, guessed)
    out = [problem] if problem is not None else []
    for index, segment in export.segments:
        if segment not in segments:
            out.append(
                Diagnostic(
                    entry.at(("segments", index)),
                    f"export '{export.name}': segment '{segment}' is not defined in segments/"
                    + did_you_mean(segment, segments),
                )
            )
    return out


def _connection(
    entry: Entry, export: _Refs, connections: Mapping[str, Entry], guessed: Mapping[str, set[str]]
) -> Diagnostic | None:
    """What is wrong with the export's connection: undefined, a source, or no consent."""
    if export.connection is None:
        return None  # missing or not a string: the schema error says so
    target = connections.get(export.connection)
    destinations = [n for n, e in connections.items() if _is_destination(e)]
    if target is None and export.connection not in guessed.get("connections", set()):
        return Diagnostic(
            entry.at(("connection",)),
            f"export '{export.name}': connection '{export.connection}' is not defined in "
            f"connections/{did_you_mean(export.connection, destinations)}",
        )
    if target is not None and target.model is not None and not _is_destination(target):
        kind = getattr(target.model, "type", "source")
        return Diagnostic(
            entry.at(("connection",)),
            f"export '{export.name}': connection '{export.connection}' is a {kind} source; "
            "an export sends to an ActiveCampaign connection (type: activecampaign)"
            + did_you_mean(export.connection, destinations),
        )
    if (
        target is not None
        and isinstance(target.model, ActiveCampaignConnection)
        and not target.model.data_privacy_consent
    ):
        return _no_consent(entry, export, target)
    return None


def _no_consent(entry: Entry, export: _Refs, target: Entry) -> Diagnostic:
    return Diagnostic(
        entry.at(("connection",)),
        f"export '{export.name}': connection '{export.connection}' ({target.label}) has no "
        "data_privacy_consent: true; plan and apply will refuse this export until someone "
        "agrees to the data-privacy notice there",
        Severity.WARNING,
    )


def _segment(
    entry: Entry,
    segment: _Refs,
    connections: Mapping[str, Entry],
    guessed: Mapping[str, set[str]],
) -> list[Diagnostic]:
    if segment.connection is None:
        return []  # missing or not a string: the schema error says so
    target = connections.get(segment.connection)
    sources = [n for n, e in connections.items() if not _is_destination(e)]
    source = segment.connection
    if target is None and source not in guessed.get("connections", set()):
        message = (
            f"segment '{segment.name}': source '{source}' is not defined in "
            f"connections/{did_you_mean(source, sources)}"
        )
    elif target is not None and _is_destination(target):
        message = (
            f"segment '{segment.name}': '{source}' is an ActiveCampaign connection; "
            "a segment's source is a duckdb, sqlite, postgres or sql connection"
            + did_you_mean(source, sources)
        )
    else:
        return []
    return [Diagnostic(entry.at(("source",)), message)]


def _is_destination(entry: Entry) -> bool:
    if entry.model is not None:
        return isinstance(entry.model, ActiveCampaignConnection)
    data = entry.data
    return isinstance(data, dict) and data.get("type") == "activecampaign"
