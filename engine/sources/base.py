"""What every source reader offers: run one read-only query, stream its rows in chunks.

A reader is opened once per source connection (and reused by every segment of an export
that queries it), runs a segment's query, and hands back its column names and an iterator
of row chunks (``fetchmany``), so memory holds one chunk of rows at a time, never the whole
result. Driver exceptions are translated here, at the I/O boundary:

- opening the connection fails -> :class:`engine.errors.SourceError` naming the connection;
- the query fails (when prepared or while rows stream) -> :class:`QueryError` carrying the
  database's own message, which :mod:`engine.sources.desired` turns into a ``SourceError``
  naming the segment file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

CHUNK_ROWS = 10_000
"""Rows fetched per round trip: large enough to amortise the driver, small enough to forget."""

Row = Sequence[Any]


class QueryError(Exception):
    """A segment query failed; ``str(exc)`` is the database's message (internal: never escapes)."""


@dataclass(frozen=True, slots=True)
class Result:
    """A running query: its column names, and its rows chunk by chunk (each chunk only once)."""

    columns: tuple[str, ...]
    fetch: Callable[[int], Sequence[Row]]
    errors: tuple[type[BaseException], ...]
    chunk_rows: int = CHUNK_ROWS

    def chunks(self) -> Iterator[Sequence[Row]]:
        while True:
            try:
                rows = self.fetch(self.chunk_rows)
            except self.errors as exc:
                raise QueryError(message_of(exc)) from exc
            if not rows:
                return
            yield rows


class Reader(Protocol):
    """An open, read-only source connection."""

    def query(self, sql: str) -> Result:
        """Start ``sql``; raises :class:`QueryError` when the database refuses it."""
        ...

    def close(self) -> None: ...


def mask(text: str, secrets: set[str]) -> str:
    """``text`` with every secret (longest first) replaced by ``***``."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def message_of(exc: BaseException) -> str:
    """A driver exception's message, trimmed (DuckDB and libpq add trailing newlines)."""
    return str(exc).strip() or type(exc).__name__
