"""Desired state: run an export's segments, map their rows, key them by email, de-duplicate.

Rules (SPEC §2), and the decisions taken where it is silent:

- Segments run in the export's order, each once, on one connection per source.
- A mapped column the query does not return is an error naming the export file (at the
  mapping key), the segment file, the missing columns and the columns the query returned.
  Columns match by exact name, or else case-insensitively (PostgreSQL folds unquoted names
  to lower case, so ``mapping.email: Email`` still finds ``email``).
- A row without a usable email is listed in ``invalid`` (segment, 1-based row number within
  the segment's result, raw value, reason) and not sent. See :mod:`engine.emails`.
- Values are formatted by :mod:`engine.values`; ``None`` means unknown.
- The same person twice (case variants, or in two segments) is one contact. The first row
  in segment order wins: a later row's different non-null value is reported as a
  :class:`Conflict` and dropped. A later row may fill a value the first left unknown
  (a NULL is "unknown", and a known value is better); that is not a conflict.
- Every contact carries the export's tags (``mapping.tags``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack

from engine.contacts import DesiredState
from engine.errors import Location, SourceError
from engine.manifests.models import Export, Segment
from engine.manifests.project import Project
from engine.memory import no_cycle_collection
from engine.progress import Step

from .base import QueryError, Reader, Result, Row
from .build import Builder, Layout
from .open import open_reader


def desired_state(
    project: Project,
    export: Export,
    environ: Mapping[str, str] | None = None,
    progress: Step | None = None,
) -> DesiredState:
    """The contacts ``export``'s segments say its list should hold (see the module doc).

    ``environ`` resolves ``${env:NAME}`` in source URLs (default: the process environment);
    ``progress`` is told the number of rows read so far after every chunk.
    """
    env = os.environ if environ is None else environ
    builder = Builder(frozenset(export.mapping.tags))
    with ExitStack() as stack:
        stack.enter_context(no_cycle_collection())
        readers: dict[str, Reader] = {}
        for index, name in enumerate(export.segments):
            segment = _segment(project, export, name)
            if segment.source not in readers:
                readers[segment.source] = open_reader(project, segment.source, env)
                stack.callback(readers[segment.source].close)
            result = _run(project, segment, readers[segment.source])
            layout = _layout(project, export, segment, result.columns, index)
            for chunk in _chunks(project, segment, result):
                builder.add(layout, chunk)
                if progress is not None:
                    progress(builder.rows_read, None)
        return builder.build()  # still without the cycle collector: it would scan it all


def _segment(project: Project, export: Export, name: str) -> Segment:
    try:
        return project.segments[name]
    except KeyError:
        where = project.where("exports", export.name, "segments")
        raise SourceError(
            f"{where}: export '{export.name}' names segment '{name}', which does not exist"
        ) from None


def _failure(project: Project, segment: Segment, message: str) -> SourceError:
    where = project.where("segments", segment.name, "query")
    source = project.sources.get(segment.source)
    kind = source.type if source is not None else "source"
    quoted = "\n".join(f"  {line}".rstrip() for line in message.splitlines())
    return SourceError(
        f"{where}: segment '{segment.name}': the query failed on {kind} connection "
        f"'{segment.source}':\n{quoted}"
    )


def _run(project: Project, segment: Segment, reader: Reader) -> Result:
    try:
        return reader.query(segment.query)
    except QueryError as exc:
        raise _failure(project, segment, str(exc)) from exc


def _chunks(project: Project, segment: Segment, result: Result) -> Iterator[Sequence[Row]]:
    try:
        yield from result.chunks()
    except QueryError as exc:
        raise _failure(project, segment, str(exc)) from exc


def _layout(
    project: Project, export: Export, segment: Segment, columns: tuple[str, ...], index: int
) -> Layout:
    """Where each mapped value sits in the segment's rows; every missing column is an error."""
    positions: dict[str, int] = {}
    missing: list[str] = []
    for key, column in export.mapping.columns().items():
        found = _find(columns, column)
        if found is None:
            missing.append(f"{key} -> '{column}'")
        else:
            positions[key] = found
    if missing:
        where = _mapping_key(project, export.name, missing[0].split(" ->")[0])
        returned = ", ".join(columns) or "(no columns)"
        raise SourceError(
            f"{where}: export '{export.name}' maps {', '.join(missing)}, but segment "
            f"'{segment.name}' ({project.where('segments', segment.name)}) does not return "
            f"{'that column' if len(missing) == 1 else 'those columns'}; its query returns: "
            f"{returned}. Add the column to the query, or fix the mapping."
        )
    return Layout.of(segment.name, index, positions, _key(project, segment, columns))


def _key(project: Project, segment: Segment, columns: tuple[str, ...]) -> tuple[str, int] | None:
    """The segment's ``key:`` column (what invalid rows are reported by), if it has one."""
    if segment.key is None:
        return None
    found = _find(columns, segment.key)
    if found is None:
        where = project.where("segments", segment.name, "key")
        returned = ", ".join(columns) or "(no columns)"
        raise SourceError(
            f"{where}: segment '{segment.name}' names key column '{segment.key}', which its "
            f"query does not return; its query returns: {returned}. Add the column to the "
            "query, or fix key:."
        )
    return columns[found], found


def _find(columns: tuple[str, ...], wanted: str) -> int | None:
    if wanted in columns:
        return columns.index(wanted)
    folded = wanted.casefold()
    for position, column in enumerate(columns):
        if column.casefold() == folded:
            return position
    return None


def _mapping_key(project: Project, export: str, key: str) -> Location:
    """Where ``mapping.<key>`` is written; perstags match in any case (``ltv`` is ``LTV``)."""
    wanted = ("exports", export, f"mapping.{key}")
    if wanted in project.locations:
        return project.locations[wanted]
    for candidate, location in project.locations.items():
        same_export = len(candidate) == 3 and candidate[:2] == wanted[:2]
        if same_export and candidate[2].casefold() == wanted[2].casefold():
            return location
    return project.where("exports", export, "mapping")
