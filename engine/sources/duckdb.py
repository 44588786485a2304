"""DuckDB source: a database file opened read-only, or in-memory for queries over files.

- ``path`` set: the file is opened with ``read_only=True``; a missing file is an error
  (never silently created).
- ``path`` omitted: an in-memory database, for segments that only read CSV or Parquet
  (``read_csv('exports/profiles.csv')``, ``read_parquet(...)``), e.g. a CDP's export.
- Relative paths inside queries are relative to the workspace folder: DuckDB's
  ``file_search_path`` is set to it, so the process never needs to change directory.
- A segment is exactly one ``SELECT`` (or ``WITH ... SELECT``, ``VALUES``, ``FROM t``)
  statement. Anything else (``COPY ... TO``, ``ATTACH``, ``INSERT``, ``SET``, ...) is refused
  before it runs: ``read_only`` protects the database file, this check also protects the
  files around it and the in-memory case.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from engine.errors import SourceError
from engine.manifests.models import DuckDBSource
from engine.manifests.project import Project

from .base import QueryError, Result, message_of

_READS = {duckdb.StatementType.SELECT}


class DuckDBReader:
    """An open DuckDB connection; see the module docstring for the rules."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._connection = connection

    def query(self, sql: str) -> Result:
        try:
            statements = self._connection.extract_statements(sql)
        except duckdb.Error as exc:
            raise QueryError(message_of(exc)) from exc
        if len(statements) != 1:
            raise QueryError(
                f"a segment query is one SELECT statement; this text holds {len(statements)}"
            )
        kind = statements[0].type
        if kind not in _READS:
            raise QueryError(
                f"a segment query must be a SELECT (it runs read-only); this is a "
                f"{kind.name} statement"
            )
        try:
            cursor = self._connection.execute(sql)
        except duckdb.Error as exc:
            raise QueryError(message_of(exc)) from exc
        columns = tuple(d[0] for d in cursor.description or ())
        return Result(columns, cursor.fetchmany, (duckdb.Error,))

    def close(self) -> None:
        self._connection.close()


def open_duckdb(project: Project, source: DuckDBSource) -> DuckDBReader:
    where = project.where("connections", source.name)
    if source.path is None:
        database, read_only = ":memory:", False
    else:
        path = project.path(source.path)
        if not path.is_file():
            raise SourceError(
                f"{where}: connection '{source.name}': DuckDB database {path} does not exist; "
                "fix 'path' (relative to the workspace), or create it "
                "(e.g. 'sync sample-data')"
            )
        database, read_only = str(path), True
    try:
        connection = duckdb.connect(database, read_only=read_only)
        connection.execute("SET enable_progress_bar = false")  # the CLI owns the terminal
        connection.execute("SET file_search_path = ?", [str(Path(project.root).resolve())])
    except duckdb.Error as exc:
        raise SourceError(
            f"{where}: connection '{source.name}': cannot open DuckDB database "
            f"{database}: {message_of(exc)}"
        ) from exc
    return DuckDBReader(connection)
