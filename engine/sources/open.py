"""Open the reader for a source connection by name (DuckDB, SQLite, PostgreSQL or SQL)."""

from __future__ import annotations

from collections.abc import Mapping

from engine.errors import SourceError
from engine.manifests.models import DuckDBSource, PostgresSource, SQLiteSource, SQLSource
from engine.manifests.project import Project

from .base import Reader


def open_reader(project: Project, name: str, environ: Mapping[str, str]) -> Reader:
    """A read-only reader for source ``name``; :class:`SourceError` when it cannot be opened."""
    source = project.sources.get(name)
    match source:
        case DuckDBSource():
            from .duckdb import open_duckdb

            return open_duckdb(project, source)
        case SQLiteSource():
            from .sqlite import open_sqlite

            return open_sqlite(project, source)
        case PostgresSource():
            from .postgres import open_postgres

            return open_postgres(project, source, environ)
        case SQLSource():
            from .sql import open_sql

            return open_sql(project, source, environ)
        case None:
            raise SourceError(f"source connection '{name}' does not exist")
