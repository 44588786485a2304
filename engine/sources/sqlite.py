"""SQLite source: a database file opened read-only.

The file is opened through a ``file:...?mode=ro`` URI (a missing file is an error, never
created), with ``PRAGMA query_only`` on and ``ATTACH`` denied, so no segment can write to
it or to any other file. SQLite runs one statement per query; a second one is an error.

SQLite stores ``DECIMAL`` as REAL or INTEGER, dates and timestamps as text and booleans as
1/0; :mod:`engine.values` formats all of these to the same strings as the typed values of
DuckDB and PostgreSQL (``12.50`` -> ``"12.5"``, ``True`` -> ``"1"``, ...).
"""

from __future__ import annotations

import sqlite3

from engine.errors import SourceError
from engine.manifests.models import SQLiteSource
from engine.manifests.project import Project

from .base import QueryError, Result, message_of


def _authorize(action: int, *_: object) -> int:
    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


class SQLiteReader:
    """An open, read-only SQLite connection."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def query(self, sql: str) -> Result:
        try:
            cursor = self._connection.execute(sql)
        except (sqlite3.Error, sqlite3.Warning) as exc:
            raise QueryError(message_of(exc)) from exc
        columns = tuple(d[0] for d in cursor.description or ())
        return Result(columns, cursor.fetchmany, (sqlite3.Error,))

    def close(self) -> None:
        self._connection.close()


def open_sqlite(project: Project, source: SQLiteSource) -> SQLiteReader:
    where = project.where("connections", source.name)
    path = project.path(source.path).resolve()
    if not path.is_file():
        raise SourceError(
            f"{where}: connection '{source.name}': SQLite database {path} does not exist; "
            "fix 'path' (relative to the workspace)"
        )
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        connection.execute("PRAGMA query_only = ON")
        connection.set_authorizer(_authorize)
    except sqlite3.Error as exc:
        raise SourceError(
            f"{where}: connection '{source.name}': cannot open SQLite database {path}: "
            f"{message_of(exc)}"
        ) from exc
    return SQLiteReader(connection)
